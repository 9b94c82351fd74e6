// The module a deployment package's handler (`index.handler`) points at. AWS Lambda runs an
// ES module's top-level code during INIT, so this exports the handler and does nothing else:
// the function's state is created on the first invocation.
export { handler } from '../../function/handler.js';
