package io.xin.testkit;

import io.netty.channel.EventLoop;

import java.net.SocketAddress;

/**
 * One end of an in-JVM connection as the other end sees it: a channel, or the record of a parked switch end.
 * Each method but {@link #endConnected} and {@link #endPastOpen} runs on {@link #endLoop}.
 */
interface InJvmEnd
{
    EventLoop endLoop();

    boolean endConnected();

    /** Connected or closed: no longer waiting for its accepted end. */
    boolean endPastOpen();

    /** What the other end flushed arrives. */
    void endReceive(Object[] messages, int count);

    void endPeerClosed();

    /** The server's address (the connecting end's remote address). */
    SocketAddress endServerAddress();
}
