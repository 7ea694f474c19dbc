package io.xin.core.device;

/**
 * Which node serves a user, in cluster mode: many switches behind a load balancer, each user served by exactly
 * one node at a time (the owner of the user's partition). The switch asks it at every login, after the token is
 * accepted: a user served elsewhere is answered {@code Error{code: MOVED, address}} and the connection is closed
 * (see docs/protocol.md, "Cluster mode"). Set with {@code XinSwitch.Context.placement}; without one the switch
 * serves every user, as a single node does.
 * <p>
 * It lives in this lowest package so that the session layer (logins) and the dispatcher (moved users' devices) can
 * both ask it; the cluster's implementation is called on the event loops and on the dispatcher threads, and must
 * be thread-safe.
 */
public interface Placement
{
    /**
     * Where the user is served. Called on event loops (and on the dispatcher thread of a shard that moves out):
     * must not block.
     *
     * @param userId the user that logs in.
     * @return null when this node serves the user now; otherwise {@code "host:port"} of the node that does, or
     * {@code ""} when no node is known to serve it yet (the client retries later).
     */
    String redirectFor(long userId);
}
