/**
 * Sessions: the per-connection handler ({@code SessionHandler}, a thin Netty adapter holding the connection's
 * state, which owns its {@code io.xin.core.device.Session}), and the stateless rules every session follows, one of
 * each per switch: the login checks, a send's admission, the routing of the other requests, the idle and park
 * deadlines. The top of the switch's layers below the embedding API: sessions publish to the ring.
 */
package io.xin.core.session;
