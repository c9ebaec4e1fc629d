import { createServer } from 'node:http';
import { serveBench } from '../lib/child-side';

/** A keep-alive node:http sink for outbound-client benchmarks: reads the body, answers 200 JSON. */
const reply = Buffer.from('{"ok":true}');
let received = 0;
const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    received++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': reply.length });
    res.end(reply);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1');
serveBench(server, { counters: () => ({ received }) });
