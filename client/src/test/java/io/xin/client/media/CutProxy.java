package io.xin.client.media;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 in front of the media server that cuts connections on demand, as a phone's network
 * does: {@link #cutAfter(long)} drops the next connection to carry more than n bytes towards the server at exactly
 * n bytes, once; {@link #dropNextAnswerAfter(long)} does the same towards the client (the request got through,
 * its answer was lost, or part of it); {@link #refuseAll()} drops every connection at once.
 */
final class CutProxy implements AutoCloseable
{
    private static final long NO_CUT = -1;

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicLong cutAfterBytes = new AtomicLong(NO_CUT);
    private final AtomicLong cutAnswerAfterBytes = new AtomicLong(NO_CUT);
    private volatile boolean refuseAll;
    /** Connections cut so far. */
    final AtomicInteger cuts = new AtomicInteger();
    /** Connections accepted so far. */
    final AtomicInteger connections = new AtomicInteger();

    CutProxy(final int targetPort) throws IOException
    {
        target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final Thread acceptor = new Thread(this::accept, "cut-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port()
    {
        return server.getLocalPort();
    }

    /** Cuts the next connection that carries more than {@code bytes} towards the server, at exactly that many. */
    void cutAfter(final long bytes)
    {
        cutAfterBytes.set(bytes);
    }

    /** Cuts the next connection on which the server answers, before the answer's first byte is passed on. */
    void dropNextAnswer()
    {
        dropNextAnswerAfter(0);
    }

    /** Cuts the next connection that carries more than {@code bytes} towards the client, at exactly that many. */
    void dropNextAnswerAfter(final long bytes)
    {
        cutAnswerAfterBytes.set(bytes);
    }

    /** Cuts every connection as soon as it is accepted. */
    void refuseAll()
    {
        refuseAll = true;
    }

    private void accept()
    {
        while (!server.isClosed())
        {
            try
            {
                final Socket client = server.accept();
                connections.incrementAndGet();
                if (refuseAll)
                {
                    cuts.incrementAndGet();
                    client.setSoLinger(true, 0);
                    client.close();
                    continue;
                }
                final Socket upstream = new Socket();
                upstream.connect(target);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream, client, upstream);
                pump(upstream, client, client, upstream);
            }
            catch (final IOException ex)
            {
                // Closed, or the target is gone: the test sees it from the client's side.
            }
        }
    }

    private void pump(final Socket from, final Socket to, final Socket client, final Socket upstream)
    {
        final boolean towardsServer = from == client;
        final Thread thread = new Thread(() ->
        {
            final byte[] buffer = new byte[16 * 1024];
            long forwarded = 0;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
            {
                int read;
                while ((read = in.read(buffer)) >= 0)
                {
                    int length = read;
                    final AtomicLong cutAfter = towardsServer ? cutAfterBytes : cutAnswerAfterBytes;
                    final long cutAt = cutAfter.get();
                    if (cutAt != NO_CUT && forwarded + read > cutAt && cutAfter.compareAndSet(cutAt, NO_CUT))
                    {
                        length = (int)(cutAt - forwarded);
                        out.write(buffer, 0, length);
                        out.flush();
                        cut(client, upstream);
                        return;
                    }
                    out.write(buffer, 0, length);
                    out.flush();
                    forwarded += length;
                }
                to.shutdownOutput();
            }
            catch (final IOException ex)
            {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "cut-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The client sees a reset, as on a lost network; the server sees the stream end, so it keeps every byte that
     * got through (a reset could make its kernel drop bytes it had not read yet).
     */
    private void cut(final Socket client, final Socket upstream)
    {
        cuts.incrementAndGet();
        try
        {
            client.setSoLinger(true, 0);
        }
        catch (final IOException ignore)
        {
            // Already closed.
        }
        closeQuietly(client);
        closeQuietly(upstream);
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
    public void close() throws IOException
    {
        server.close();
        for (final Socket socket : sockets)
        {
            closeQuietly(socket);
        }
    }
}
