// Interactive API docs (/docs): Swagger UI, vendored, reading the app's own OpenAPI schema.
window.ui = window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
});
