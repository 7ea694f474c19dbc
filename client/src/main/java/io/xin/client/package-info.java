/**
 * The Java client SDK of the Xin switch: connect and log in, send with retry and dedupe, receive
 * every inbox message exactly once and in order (pushes and sync pages merged), acknowledge, and
 * keep the session up with jittered reconnects.
 * <p>
 * {@link io.xin.client.XinClient} is the API. Everything else is package-private and runs on the
 * client's Netty event loop: {@code ClientConductor} owns the session state,
 * {@code InboxSequencer} orders received messages, {@code PendingSends} tracks unacknowledged sends
 * and {@code Backoff} computes reconnect delays.
 */
package io.xin.client;
