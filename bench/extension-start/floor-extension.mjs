// The floor for extension start in JavaScript: register for INVOKE and SHUTDOWN, then wait on
// `event/next` until SHUTDOWN. Nothing else is loaded: node:http only, no fetch (its
// implementation is loaded lazily and costs tens of milliseconds on first use).
import http from 'node:http';
import path from 'node:path';

const [host, port] = (process.env.AWS_LAMBDA_RUNTIME_API ?? '').split(':');
if (!host || !port) {
  console.error('AWS_LAMBDA_RUNTIME_API is not set; run this under Lambda or a Lambda sandbox');
  process.exit(1);
}
// Lambda requires the registered name to equal the executable's file name.
const name = path.basename(process.env.FLOOR_EXTENSION_NAME ?? process.argv[1] ?? 'floor-extension');
const agent = new http.Agent({ keepAlive: true });

function request(method, urlPath, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: urlPath, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const registered = await request(
  'POST',
  '/2020-01-01/extension/register',
  { 'Lambda-Extension-Name': name, 'Content-Type': 'application/json' },
  '{"events":["INVOKE","SHUTDOWN"]}',
);
const id = registered.headers['lambda-extension-identifier'];
if (registered.status !== 200 || typeof id !== 'string') {
  console.error(`register failed with status ${registered.status}`);
  process.exit(1);
}
for (;;) {
  const event = await request('GET', '/2020-01-01/extension/event/next', {
    'Lambda-Extension-Identifier': id,
  });
  if (event.status !== 200) process.exit(1);
  if (JSON.parse(event.body.toString('utf8')).eventType === 'SHUTDOWN') process.exit(0);
}
