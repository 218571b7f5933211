// A small local HTTP server for the tests: records each request and answers with a handler.
import http from "node:http";

/**
 * Starts a server on a free port; handler(request) answers {status, json|text}, {hang: true} (no
 * answer at all) or {stallBody: true} (the status line and headers, then never the body).
 */
export async function startServer(handler) {
  const requests = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", async () => {
      const body = Buffer.concat(chunks);
      const seen = { method: request.method, url: request.url, headers: request.headers, body };
      requests.push(seen);
      const reply = (await handler(seen)) || { status: 200, json: {} };
      if (reply.hang) {
        return; // never answers: for timeouts
      }
      const text = reply.json !== undefined ? JSON.stringify(reply.json) : reply.text || "";
      response.writeHead(reply.status || 200, {
        "Content-Type": reply.json !== undefined ? "application/json" : "text/html",
      });
      if (reply.stallBody) {
        response.write(text.slice(0, 1));
        return; // a slow server: headers now, the rest never
      }
      response.end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** A URL where nothing listens: a port that was free a moment ago. */
export async function deadUrl() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
