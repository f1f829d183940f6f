// Builds the demo image (busybox-static serving a page with its httpd applet) and pushes it to
// the registry at the given URL: `push-image.ts http://127.0.0.1:5000 demo/web:1`.
import { buildImage, pushImage } from '../../test/fixtures/image.js';
import { busyboxEntries, DEFAULT_PATH_ENV } from '../../test/fixtures/images.js';
import { registryPusher } from '../../test/harness/registry.js';

const [url, ref] = process.argv.slice(2);
if (url === undefined || ref === undefined || !ref.includes(':')) {
  process.stderr.write('usage: push-image.ts REGISTRY_URL REPO:TAG\n');
  process.exit(2);
}
const [repo, tag] = ref.split(':') as [string, string];
const page = '<html><body><h1>Hello from a critter pod</h1></body></html>\n';
const image = await buildImage({
  layers: [
    { entries: busyboxEntries() },
    { entries: [{ type: 'dir', path: 'www' }, { type: 'file', path: 'www/index.html', content: page }] },
  ],
  config: {
    Cmd: ['/bin/busybox', 'httpd', '-f', '-v', '-p', '8080', '-h', '/www'],
    Env: [DEFAULT_PATH_ENV],
    ExposedPorts: { '8080/tcp': {} },
  },
});
await pushImage(registryPusher(url), repo, [tag], image);
process.stdout.write(`${repo}:${tag}\n`);
