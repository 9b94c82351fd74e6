// Child process of `ferry bench gateway`: runs one server (argv[2], JSON) on 127.0.0.1 and
// reports its port over IPC; exits when the parent disconnects. Servers run apart from the
// load generator so that the two do not share one event loop.
import { startOverheadServer, type OverheadServer } from './overhead-servers.js';

const server = JSON.parse(process.argv[2] ?? '{"kind":"floor"}') as OverheadServer;
const port = await startOverheadServer(server);
process.send?.({ port });
process.on('disconnect', () => process.exit(0));
