package io.xin.media.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xin.media.LocalMediaStore;
import io.xin.media.TestBytes;
import io.xin.media.MediaLimits;
import io.xin.media.MutableClock;
import io.xin.media.SignedUrls;
import io.xin.media.UploadRequest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** A media store in a directory, a server on an ephemeral loopback port, and the clients that talk to it. */
final class MediaFixture implements AutoCloseable
{
    static final Instant START = Instant.parse("2030-01-01T00:00:00Z");
    static final long ALICE = 1001;
    /** A bound on every wait of a test for the server to act; reached only when something is broken. */
    static final Duration PATIENCE = Duration.ofSeconds(20);

    final MutableClock clock = new MutableClock(START);
    /** The store itself, for the test's own calls. */
    final LocalMediaStore store;
    /** The same store as the server has it: every call checked to be on a file thread. */
    final FileThreadsOnlyStore served;
    final SignedUrls urls;
    final MediaHttpServer server;
    final HttpClient client;
    final String base;

    MediaFixture(final Path root, final UnaryOperator<MediaHttpConfig.Builder> settings)
    {
        this(root, settings, HttpClient.newBuilder());
    }

    MediaFixture(final Path root, final UnaryOperator<MediaHttpConfig.Builder> settings,
        final HttpClient.Builder clientBuilder)
    {
        store = LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock);
        final byte[] secret = new byte[32];
        new Random(7).nextBytes(secret);
        urls = new SignedUrls(new SignedUrls.Key("k1", secret), List.of(), clock);
        final MediaHttpConfig config = settings.apply(MediaHttpConfig.builder("127.0.0.1", 0).clock(clock)).build();
        served = new FileThreadsOnlyStore(store);
        server = new MediaHttpServer(served, urls, config).start();
        client = clientBuilder.version(HttpClient.Version.HTTP_1_1).connectTimeout(PATIENCE).build();
        base = (config.sslContext() == null ? "http" : "https") + "://127.0.0.1:" + server.port();
    }

    /** Stops the server and the store, then checks the server called the store on its file threads only. */
    @Override
    public void close()
    {
        server.close();
        store.close();
        assertEquals(List.of(), served.violations(), "store calls off the file threads");
    }

    /** Creates an upload as the switch does for a ticket. */
    String createUpload(final byte[] data, final String contentType)
    {
        return store.createUpload(new UploadRequest(ALICE, data.length, contentType, sha256(data),
            clock.instant().plus(Duration.ofHours(1))));
    }

    String uploadToken(final String uploadId)
    {
        return urls.sign("PATCH", "/media/v1/uploads/" + uploadId, clock.instant().plus(Duration.ofHours(1)));
    }

    URI uploadUri(final String uploadId)
    {
        return URI.create(base + "/media/v1/uploads/" + uploadId);
    }

    URI blobUri(final String blobId)
    {
        return URI.create(base + "/media/v1/blobs/" + blobId + "?token=" +
            urls.sign("GET", "/media/v1/blobs/" + blobId, clock.instant().plus(Duration.ofMinutes(10))));
    }

    HttpRequest.Builder tus(final URI uri, final String token)
    {
        return HttpRequest.newBuilder(uri).timeout(PATIENCE)
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", "Bearer " + token);
    }

    HttpResponse<Void> head(final String uploadId, final String token) throws IOException, InterruptedException
    {
        return client.send(tus(uploadUri(uploadId), token).method("HEAD", HttpRequest.BodyPublishers.noBody())
            .build(), HttpResponse.BodyHandlers.discarding());
    }

    HttpResponse<String> patch(final String uploadId, final String token, final long offset, final byte[] body)
        throws IOException, InterruptedException
    {
        return client.send(tus(uploadUri(uploadId), token)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", Long.toString(offset))
            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(body))
            .build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> get(final URI uri, final String... headers) throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(PATIENCE).GET();
        for (int i = 0; i < headers.length; i += 2)
        {
            request.header(headers[i], headers[i + 1]);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Waits, within {@link #PATIENCE}, for something the server does on its own threads. */
    static void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out waiting for " + what);
            }
            // Polls a condition; the time waited is no part of what is tested.
            LockSupport.parkNanos(200_000);
        }
    }

    Socket connect() throws IOException
    {
        final Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), (int)PATIENCE.toMillis());
        socket.setSoTimeout((int)PATIENCE.toMillis());
        return socket;
    }

    static byte[] bytes(final int length, final long seed)
    {
        return TestBytes.bytes(length, seed);
    }

    static String sha256(final byte[] data)
    {
        return TestBytes.sha256(data);
    }

    /** An HTTP/1.1 response read off a raw socket: status, headers (lowercase names) and body. */
    record RawResponse(int status, Map<String, String> headers, byte[] body)
    {
        String text()
        {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(final String name)
        {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    static void send(final Socket socket, final String request) throws IOException
    {
        final OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /**
     * Reads one response; its body by Content-Length, none for HEAD requests, 204 and 304.
     *
     * @param headRequest the request was a HEAD.
     */
    static RawResponse read(final InputStream in, final boolean headRequest) throws IOException
    {
        final String statusLine = line(in);
        if (statusLine == null)
        {
            throw new IOException("connection closed before a response");
        }
        final int status = Integer.parseInt(statusLine.split(" ")[1]);
        final Map<String, String> headers = new LinkedHashMap<>();
        String line;
        while ((line = line(in)) != null && !line.isEmpty())
        {
            final int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        if (status == 100)
        {
            return read(in, headRequest);
        }
        final String length = headers.get("content-length");
        final byte[] body = headRequest || status == 204 || length == null ? new byte[0] :
            in.readNBytes(Integer.parseInt(length));
        return new RawResponse(status, headers, body);
    }

    /** @return true if the server closed the connection (end of stream, or a reset after its close). */
    static boolean closedByServer(final InputStream in)
    {
        try
        {
            return in.read() < 0;
        }
        catch (final IOException e)
        {
            return true;
        }
    }

    private static String line(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0)
        {
            if (b == '\n')
            {
                final byte[] bytes = line.toByteArray();
                final int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(Arrays.copyOf(bytes, end), StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    static void assertStatus(final int expected, final HttpResponse<?> response)
    {
        assertEquals(expected, response.statusCode(), () -> "body: " + response.body());
    }
}
