// Swagger UI for Mogi's API. "Authorize" takes a personal token (Bearer); without one, "Try it
// out" runs as the logged-in browser, and a call that changes something then needs the CSRF
// header a page's own scripts send: it is added here from the page's token.
(() => {
  "use strict";
  const root = document.getElementById("swagger-ui");
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: (request) => {
      const bearer = Object.keys(request.headers || {}).some((name) => name.toLowerCase() === "authorization");
      if (!bearer && csrf) request.headers["X-CSRF-Token"] = csrf;
      return request;
    },
  });
})();
