// Interactive API docs (/docs): Swagger UI, vendored, reading the app's own OpenAPI schema.
window.ui = window.SwaggerUIBundle({
  url: document.getElementById('swagger-ui').dataset.spec,
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
});
