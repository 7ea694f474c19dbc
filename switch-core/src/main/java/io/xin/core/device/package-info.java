/**
 * A logged-in device as the ring, the dispatcher, the sync readers and the channel pacer see it ({@code Session}:
 * its identity, its current Netty channel and the few flags shared across threads), and the frames the switch writes
 * to it ({@code Frames}); and {@code Placement}, which node serves a user in cluster mode. The session layer's handler
 * owns each session and wakes it when parked; nothing here knows that handler.
 */
package io.xin.core.device;
