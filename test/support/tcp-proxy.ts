import net from "node:net";

/**
 * A TCP proxy between the server and PostgreSQL, so a test can cut the database off (close every
 * connection and refuse new ones), or freeze it (keep the connections open but pass nothing, as a
 * network partition does), and bring it back, without touching the machine's PostgreSQL.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private open = true;
  private frozen = false;
  /** Bytes the target sent through connections now closed. */
  private closedBytes = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    server.on("connection", (client) => {
      if (!proxy.open) {
        client.destroy();
        return;
      }
      const upstream = net.connect(targetPort, targetHost);
      const pair = { client, upstream };
      proxy.pairs.add(pair);
      for (const s of [client, upstream]) s.on("error", () => s.destroy());
      client.on("close", () => {
        upstream.destroy();
        if (proxy.pairs.delete(pair)) proxy.closedBytes += upstream.bytesRead;
      });
      upstream.on("close", () => client.destroy());
      if (proxy.frozen) {
        client.pause();
        upstream.pause();
      } else {
        proxy.join(pair);
      }
    });
    return proxy;
  }

  /** `url` (of the proxy's target) with the proxy's port: a client given it goes through the proxy. */
  urlThrough(url: string): string {
    const through = new URL(url);
    through.port = String(this.port);
    return through.toString();
  }

  private join({ client, upstream }: { client: net.Socket; upstream: net.Socket }): void {
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    upstream.resume();
  }

  /** How many bytes the target has sent through the proxy so far. */
  bytesFromTarget(): number {
    let bytes = this.closedBytes;
    for (const { upstream } of this.pairs) bytes += upstream.bytesRead;
    return bytes;
  }

  /** Cuts every connection and refuses new ones. */
  cut(): void {
    this.open = false;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  restore(): void {
    this.open = true;
  }

  /** Passes nothing either way, closing nothing: queries hang as they do behind a partition. */
  freeze(): void {
    this.frozen = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Passes everything again, what was held first. */
  thaw(): void {
    // Joining connections that were never held would pipe them twice.
    if (!this.frozen) return;
    this.frozen = false;
    for (const pair of this.pairs) this.join(pair);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
