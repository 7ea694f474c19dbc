package io.xin.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a TCP load balancer on loopback: every connection it accepts is forwarded to the
 * switch's PROXY port, preceded by a PROXY protocol v2 header that names a client address of the test's
 * choosing. The address is only written into the header; nothing is ever sent to it.
 */
final class ProxyRelay implements AutoCloseable
{
    private static final byte[] V2_SIGNATURE =
        { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

    private final ServerSocket server;
    private final int targetPort;
    private final byte[] clientAddress;
    private final int clientPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    /**
     * @param targetPort    the switch's PROXY port on 127.0.0.1.
     * @param clientAddress the IPv4 address the header claims, e.g. 198.51.100.7 (TEST-NET-2).
     * @param clientPort    the port the header claims.
     */
    ProxyRelay(final int targetPort, final byte[] clientAddress, final int clientPort) throws IOException
    {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.clientAddress = clientAddress;
        this.clientPort = clientPort;
        this.acceptor = new Thread(this::acceptLoop, "proxy-relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port()
    {
        return server.getLocalPort();
    }

    private void acceptLoop()
    {
        while (!server.isClosed())
        {
            try
            {
                final Socket client = server.accept();
                final Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
                sockets.add(client);
                sockets.add(upstream);
                upstream.getOutputStream().write(header(upstream.getLocalPort()));
                pump(client, upstream);
                pump(upstream, client);
            }
            catch (final IOException ex)
            {
                return;
            }
        }
    }

    private byte[] header(final int destinationPort)
    {
        final ByteBuffer header = ByteBuffer.allocate(16 + 12);
        header.put(V2_SIGNATURE);
        header.put((byte)0x21);            // version 2, command PROXY
        header.put((byte)0x11);            // AF_INET, STREAM
        header.putShort((short)12);        // address block: 4 + 4 + 2 + 2
        header.put(clientAddress);
        header.put(new byte[]{ 127, 0, 0, 1 });
        header.putShort((short)clientPort);
        header.putShort((short)destinationPort);
        return header.array();
    }

    private static void pump(final Socket from, final Socket to)
    {
        final Thread thread = new Thread(() ->
        {
            final byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
            {
                int read;
                while ((read = in.read(buffer)) >= 0)
                {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            }
            catch (final IOException closed)
            {
                // one side closed: close both
            }
            finally
            {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "proxy-relay-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(final Socket socket)
    {
        try
        {
            socket.close();
        }
        catch (final IOException ignore)
        {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException
    {
        server.close();
        sockets.forEach(ProxyRelay::closeQuietly);
    }
}
