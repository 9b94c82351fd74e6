import net from 'node:net';

/**
 * Writes raw bytes (one piece or several, in order) on a fresh connection and collects
 * everything the server sends until it closes the connection or `waitMs` passes.
 */
export function rawExchange(port: number, data: string | Buffer | Array<string | Buffer>, waitMs = 2000): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedByServer: false });
    }, waitMs);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedByServer: true });
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      for (const piece of Array.isArray(data) ? data : [data]) socket.write(piece);
    });
  });
}
