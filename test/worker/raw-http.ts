/**
 * HTTP/1.1 over a raw TCP socket (node:net), for what fetch cannot do: declare a Content-Length and
 * send less, pause mid-body, half-close or reset the connection under an upload.
 */
import { connect, type Socket } from 'node:net';

/** A parsed response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An open request: its socket, to write the body with, and its answer once complete. */
export interface RawRequest {
  socket: Socket;
  /** The response, complete by its Content-Length; rejects if the connection ends before one came. */
  response: Promise<RawResponse>;
  /** Settles when the connection has closed, whichever side closed it. */
  closed: Promise<void>;
}

/** The response in `data` once all of it has arrived, else undefined. */
function parse(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? NaN);
  if (!(data.length - end - 4 >= length)) return undefined;
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: data.subarray(end + 4, end + 4 + length).toString('utf8'),
  };
}

/** Opens a connection to `url` and sends the request line and `headers` (and nothing of the body). */
export function openRequest(url: URL, method: string, headers: Record<string, string>): RawRequest {
  const socket = connect(Number(url.port), url.hostname);
  const head = [
    `${method} ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  const response = new Promise<RawResponse>((resolve, reject) => {
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const parsed = parse(data);
      if (parsed) resolve(parsed);
    });
    socket.on('error', reject);
    socket.on('close', () =>
      reject(new Error(`the connection closed after ${data.length} bytes of response`)),
    );
  });
  // Callers that only hold a request open may never look at its answer.
  response.catch(() => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, response, closed };
}
