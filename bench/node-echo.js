// bench/node-echo.js -- the peer a WCS user would otherwise write: a Node.js `http` backend
// that reads the hook body, parses it (JSON.parse, so bad JSON gets 400 as in wcsp) and echoes
// it back with 200. No npm packages.
//
//   node bench/node-echo.js [PORT]     PORT 0 (default) picks a free one
//
// Prints `node-echo: listening on 127.0.0.1:PORT` on stderr once bound; SIGTERM closes the
// listener and exits 0.
'use strict';
const http = require('http');

const port = Number(process.argv[2] || 0);
const MAX_BODY = 1048576;

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(req.url === '/healthz' ? 200 : 405, { 'Content-Type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= MAX_BODY) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY) {
      res.writeHead(413, { 'Content-Type': 'application/json' });
      res.end('{"error":"payload too large"}');
      return;
    }
    const body = Buffer.concat(chunks);
    let status = 200;
    try {
      const v = JSON.parse(body.toString('utf8'));
      if (v === null || typeof v !== 'object' || Array.isArray(v)) status = 400;
    } catch (e) {
      status = 400;
    }
    if (status !== 200) {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end('{"error":"bad request"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
});

server.keepAliveTimeout = 10000;
server.listen(port, '127.0.0.1', () => {
  process.stderr.write(`node-echo: listening on 127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  if (server.closeAllConnections) server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
});
