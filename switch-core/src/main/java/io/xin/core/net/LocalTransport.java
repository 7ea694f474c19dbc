package io.xin.core.net;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;

import java.net.SocketAddress;
import java.util.Objects;

/**
 * A further Netty transport a switch accepts sessions on, through the same pipeline and handlers as its TCP port,
 * on event loops of its own ({@code xin-local-N}): the test kit's in-JVM transport, for measuring what a session
 * costs without sockets (per-session memory at a million sessions) and for embedding tests. Its channels may park
 * ({@link Parking.Parkable}).
 *
 * @param ioHandlerFactory   the IO handler of its event loops, e.g. Netty's {@code LocalIoHandler.newFactory()}.
 * @param serverChannelClass the server channel bound on those loops.
 * @param address            what it is bound to.
 */
public record LocalTransport(
    IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannelClass, SocketAddress address)
{
    public LocalTransport
    {
        Objects.requireNonNull(ioHandlerFactory, "ioHandlerFactory");
        Objects.requireNonNull(serverChannelClass, "serverChannelClass");
        Objects.requireNonNull(address, "address");
    }
}
