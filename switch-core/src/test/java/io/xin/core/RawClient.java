package io.xin.core;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Login;
import io.xin.protocol.pb.Send;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import com.google.protobuf.ByteString;

/**
 * A deliberately plain blocking-socket peer that speaks the wire format by hand, for tests that
 * send what the real client never would.
 */
public final class RawClient implements AutoCloseable
{
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawClient(final int port) throws IOException
    {
        this(port, 0);
    }

    /**
     * @param receiveBufferBytes socket receive buffer, 0 for the default; a small one makes a slow reader.
     */
    public RawClient(final int port, final int receiveBufferBytes) throws IOException
    {
        this(null, port, receiveBufferBytes);
    }

    /**
     * @param localAddress the address to connect from (e.g. 127.0.0.2: all of 127/8 is loopback on Linux), or
     *                     null for the system's choice.
     */
    public RawClient(final InetAddress localAddress, final int port, final int receiveBufferBytes) throws IOException
    {
        socket = new Socket();
        if (receiveBufferBytes > 0)
        {
            socket.setReceiveBufferSize(receiveBufferBytes);
        }
        if (localAddress != null)
        {
            socket.bind(new InetSocketAddress(localAddress, 0));
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(5_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /**
     * Connects and logs in; the token is made before connecting so its cost does not count
     * against the login timeout.
     *
     * @throws IOException when the switch answers anything but LoginOk.
     */
    public static RawClient loggedIn(final int port, final String token, final String deviceId) throws IOException
    {
        final RawClient client = new RawClient(port);
        client.send(login(token, deviceId));
        final Frame answer = client.read();
        if (answer.getBodyCase() != Frame.BodyCase.LOGIN_OK)
        {
            client.close();
            throw new IOException("login refused: " + answer);
        }
        return client;
    }

    public static Frame login(final String token, final String deviceId)
    {
        return Frame.newBuilder()
            .setLogin(Login.newBuilder().setRequestId(1).setToken(token).setDeviceId(deviceId).setClientVersion("raw"))
            .build();
    }

    public static Frame text(final long requestId, final long to, final String clientMsgId, final String text)
    {
        return Frame.newBuilder()
            .setSend(Send.newBuilder()
                .setRequestId(requestId)
                .setToUserId(to)
                .setClientMsgId(clientMsgId)
                .setContent(Content.newBuilder().setType(ContentType.TEXT)
                    .setBody(ByteString.copyFrom(text, StandardCharsets.UTF_8))))
            .build();
    }

    public void send(final Frame frame) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        frame.writeDelimitedTo(bytes);
        out.write(bytes.toByteArray());
        out.flush();
    }

    public void sendRaw(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
    }

    /** Writes a varint32 length prefix alone. */
    public void sendLengthPrefix(final int length) throws IOException
    {
        final byte[] prefix = new byte[CodedOutputStream.computeUInt32SizeNoTag(length)];
        final CodedOutputStream output = CodedOutputStream.newInstance(prefix);
        output.writeUInt32NoTag(length);
        output.flush();
        sendRaw(prefix);
    }

    /**
     * @return the next frame, waiting up to {@code timeoutMs}.
     * @throws EOFException when the server closed the connection.
     */
    public Frame read(final int timeoutMs) throws IOException
    {
        socket.setSoTimeout(timeoutMs);
        final int first = in.read();
        if (first < 0)
        {
            throw new EOFException("closed by the server");
        }
        final int length = CodedInputStream.readRawVarint32(first, in);
        final byte[] body = in.readNBytes(length);
        if (body.length < length)
        {
            throw new EOFException("closed mid-frame");
        }
        return Frame.parseFrom(body);
    }

    public Frame read() throws IOException
    {
        return read(5_000);
    }

    /**
     * Reads frames until one with the given body arrives.
     *
     * @throws java.net.SocketTimeoutException naming the frames skipped while waiting, when none came in time.
     */
    public Frame readUntil(final Frame.BodyCase bodyCase, final int timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        final java.util.List<String> skipped = new java.util.ArrayList<>();
        while (true)
        {
            final int remaining = (int)Math.max(1, deadline - System.currentTimeMillis());
            final Frame frame;
            try
            {
                frame = read(remaining);
            }
            catch (final java.net.SocketTimeoutException ex)
            {
                throw new java.net.SocketTimeoutException("no " + bodyCase + " within " + timeoutMs + " ms; skipped " +
                    skipped);
            }
            if (frame.getBodyCase() == bodyCase)
            {
                return frame;
            }
            skipped.add(frame.hasError() ? "ERROR " + frame.getError().getCode() + " " + frame.getError().getMessage() :
                frame.getBodyCase().toString());
        }
    }

    /**
     * @return true when the server closes the connection within {@code timeoutMs} (any frames
     * still arriving are read and dropped).
     */
    public boolean closedWithin(final int timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        try
        {
            while (System.currentTimeMillis() < deadline)
            {
                socket.setSoTimeout((int)Math.max(1, deadline - System.currentTimeMillis()));
                if (in.read() < 0)
                {
                    return true;
                }
            }
            return false;
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
