import { createShardedAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import type { Namespace } from "socket.io";
import { Adapter, MessageType, type BroadcastOptions, type ClusterAdapter } from "socket.io-adapter";

/** What of `ClusterAdapter` the broadcast below uses: its fire-and-forget publish. */
interface Publishing {
  publish(message: {
    type: MessageType.BROADCAST;
    data: { packet: unknown; opts: { rooms: string[]; except: string[]; flags: BroadcastOptions["flags"] } };
  }): void;
}

/**
 * The sharded adapter of @socket.io/redis-adapter (a channel per room, Redis 7 sharded Pub/Sub), with
 * one change: a broadcast reaches this node's sockets at once, as with the classic adapter, instead of
 * after Redis has confirmed the publish. Otherwise every delta here would wait for a round trip to
 * Redis, and with Redis away the tabs on the node writing an answer would get nothing at all.
 */
export function createConfabShardedAdapter(
  pub: Redis,
  sub: Redis,
  options: { channelPrefix: string },
): (nsp: Namespace) => ClusterAdapter {
  const create = createShardedAdapter(pub, sub, { ...options, subscriptionMode: "dynamic" }) as (
    nsp: Namespace,
  ) => ClusterAdapter;
  // Socket.IO calls it with `new`: a function, not an arrow, whose returned object is the adapter.
  return function confabShardedAdapter(nsp: Namespace) {
    const adapter = create(nsp);
    adapter.broadcast = (packet: unknown, opts: BroadcastOptions) => {
      if (!opts.flags?.local) {
        // Published in call order on one connection (queued while Redis reconnects), never awaited.
        (adapter as unknown as Publishing).publish({
          type: MessageType.BROADCAST,
          data: {
            packet,
            opts: { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags },
          },
        });
      }
      Adapter.prototype.broadcast.call(adapter, packet, opts);
      return Promise.resolve();
    };
    return adapter;
  };
}
