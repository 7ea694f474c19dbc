package io.xin.loadgen.media;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy on 127.0.0.1 that cuts one connection, once, as a phone's network does mid-upload: the first
 * connection to carry more than {@code cutAfterBytes} towards the target is dropped at exactly that many bytes
 * (the client sees a reset; the target sees the stream end, so it keeps every byte that got through). Every other
 * connection, and that one's successors, pass untouched. A thread per direction of each connection: for a few
 * uploads at a time, not for a crowd.
 */
public final class CutOnceProxy implements AutoCloseable
{
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final long cutAfterBytes;
    private final AtomicBoolean cut = new AtomicBoolean();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /**
     * Listens on an ephemeral port of 127.0.0.1 at once.
     *
     * @param targetHost    where connections go.
     * @param targetPort    its port.
     * @param cutAfterBytes bytes towards the target after which the first connection to pass them is cut.
     * @throws IOException if it cannot listen.
     */
    public CutOnceProxy(final String targetHost, final int targetPort, final long cutAfterBytes) throws IOException
    {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.cutAfterBytes = cutAfterBytes;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon(this::accept, "xin-cut-proxy-accept").start();
    }

    /**
     * @return the port clients connect to.
     */
    public int port()
    {
        return server.getLocalPort();
    }

    /**
     * @return whether the connection was cut.
     */
    public boolean cut()
    {
        return cut.get();
    }

    private void accept()
    {
        while (!server.isClosed())
        {
            try
            {
                final Socket client = server.accept();
                final Socket upstream = new Socket();
                sockets.add(client);
                sockets.add(upstream);
                upstream.connect(target, 5_000);
                daemon(() -> pump(client, upstream, true), "xin-cut-proxy-up").start();
                daemon(() -> pump(upstream, client, false), "xin-cut-proxy-down").start();
            }
            catch (final IOException ex)
            {
                // Closed, or the target refused: the client sees its connection fail and retries.
            }
        }
    }

    private void pump(final Socket from, final Socket to, final boolean towardsTarget)
    {
        final byte[] buffer = new byte[32 * 1024];
        long forwarded = 0;
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
        {
            int read;
            while ((read = in.read(buffer)) >= 0)
            {
                if (towardsTarget && forwarded + read > cutAfterBytes && cut.compareAndSet(false, true))
                {
                    out.write(buffer, 0, (int)(cutAfterBytes - forwarded));
                    out.flush();
                    from.setSoLinger(true, 0);
                    from.close();
                    to.close();
                    return;
                }
                out.write(buffer, 0, read);
                out.flush();
                forwarded += read;
            }
            to.shutdownOutput();
        }
        catch (final IOException ex)
        {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static Thread daemon(final Runnable task, final String name)
    {
        final Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(final Socket socket)
    {
        try
        {
            socket.close();
        }
        catch (final IOException ignore)
        {
            // Closing anyway.
        }
    }

    @Override
    public void close()
    {
        try
        {
            server.close();
        }
        catch (final IOException ignore)
        {
            // Closing anyway.
        }
        for (final Socket socket : sockets)
        {
            closeQuietly(socket);
        }
    }
}
