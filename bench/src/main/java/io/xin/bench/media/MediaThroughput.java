package io.xin.bench.media;

import io.xin.bench.Directories;
import io.xin.media.AppendResult;
import io.xin.media.LocalMediaStore;
import io.xin.media.MediaIds;
import io.xin.media.MediaLimits;
import io.xin.media.SignedUrls;
import io.xin.media.UploadRequest;
import io.xin.media.http.MediaHttpConfig;
import io.xin.media.http.MediaHttpServer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * How fast the media server moves a file on loopback, next to a plain copy of the same file on the same disk and
 * to the store called directly. After a warm-up round that is not counted, each round writes a fresh file of random
 * bytes (so no round dedupes into an earlier blob), then, in an order that alternates between rounds:
 * <ul>
 *   <li>copy: {@code Files.copy} of the file, and the same copy forced to disk ({@code copy+fsync}: the store
 *   forces every append, so that is the copy a durable upload compares with);</li>
 *   <li>store: the file appended to a {@link LocalMediaStore} directly, in buffers of {@code maxChunkBytes}: what
 *   an upload costs without HTTP (each append forced, the blob hashed at completion);</li>
 *   <li>upload: PATCHes of up to {@code maxChunkBytes} each, read from the file, through a {@link MediaHttpServer}
 *   with its defaults into the same store, on one kept-alive connection;</li>
 *   <li>download: a signed GET of the whole blob, written into a file.</li>
 * </ul>
 * and prints MB/s for each and the ratios to the copy and to the store. The summary gives the medians. The client
 * is a minimal HTTP/1.1 client on a socket, so the figures are the server's, not a client library's.
 * <p>
 * Usage:
 * {@code java -cp bench/target/benchmarks.jar io.xin.bench.media.MediaThroughput [MIB [ROUNDS [DIR [BUFFER_KIB]]]]}:
 * the file's size in MiB (default 64), the rounds (default 5), a folder on the disk to measure (default under
 * {@code java.io.tmpdir}; what it writes there is deleted at the end), and the server's connection buffer in KiB
 * (default {@link MediaHttpConfig#DEFAULT_CONNECTION_BUFFER_BYTES}).
 */
public final class MediaThroughput
{
    private static final int DEFAULT_MIB = 64;
    private static final int DEFAULT_ROUNDS = 5;
    private static final long OWNER = 1;
    private static final int IO_BYTES = 1024 * 1024;
    private static final String[] COLUMNS = {"copy", "copy+fsync", "store", "upload", "download"};

    private MediaThroughput()
    {
    }

    /**
     * @param args {@code [MIB [ROUNDS [DIR [BUFFER_KIB]]]]}.
     */
    public static void main(final String[] args) throws Exception
    {
        final int mib = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_MIB;
        final int rounds = args.length > 1 ? Integer.parseInt(args[1]) : DEFAULT_ROUNDS;
        final Path parent = args.length > 2 ? Path.of(args[2]) : Path.of(System.getProperty("java.io.tmpdir"));
        final int buffer = args.length > 3 ? Integer.parseInt(args[3]) * 1024 :
            MediaHttpConfig.DEFAULT_CONNECTION_BUFFER_BYTES;
        final Path dir = Files.createTempDirectory(parent, "xin-media-throughput");
        try
        {
            measure(dir, (long)mib * 1024 * 1024, rounds, buffer);
        }
        finally
        {
            Directories.deleteTree(dir);
        }
    }

    private static void measure(final Path dir, final long bytes, final int rounds, final int buffer)
        throws Exception
    {
        final Clock clock = Clock.systemUTC();
        final MediaLimits limits = new MediaLimits(
            Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 8, Duration.ofHours(1));
        final byte[] secret = new byte[SignedUrls.MIN_SECRET_BYTES];
        new Random(1).nextBytes(secret);
        final SignedUrls urls = new SignedUrls(new SignedUrls.Key("bench", secret), List.of(), clock);
        final MediaHttpConfig config = MediaHttpConfig.builder("127.0.0.1", 0).clock(clock)
            .connectionBufferBytes(buffer).build();
        final Path source = dir.resolve("source");
        final List<double[]> results = new ArrayList<>();
        System.out.printf(Locale.ROOT,
            "%d MiB per transfer, %d rounds after a warm-up, in %s; chunks of %d MiB, connection buffer %d KiB%n",
            bytes >> 20, rounds, dir, config.maxChunkBytes() >> 20, buffer >> 10);
        System.out.printf(Locale.ROOT, "%-7s %9s %11s %9s %9s %9s | %8s %9s %10s %10s%n", "MB/s", COLUMNS[0],
            COLUMNS[1], COLUMNS[2], COLUMNS[3], COLUMNS[4], "up/copy", "down/copy", "up/fsync", "up/store");
        try (LocalMediaStore store = LocalMediaStore.open(dir.resolve("store"), limits, clock);
            MediaHttpServer server = new MediaHttpServer(store, urls, config).start())
        {
            final Round round = new Round(dir, source, bytes, store, urls, clock, server.port(),
                (int)Math.min(config.maxChunkBytes(), Integer.MAX_VALUE - 8));
            for (int i = 0; i <= rounds; i++)
            {
                final double[] mbps = round.run(i);
                if (i > 0)
                {
                    results.add(mbps);
                    print(Integer.toString(i), mbps);
                }
            }
        }
        final double[] medians = new double[COLUMNS.length];
        for (int i = 0; i < medians.length; i++)
        {
            final int column = i;
            final double[] values = results.stream().mapToDouble(r -> r[column]).sorted().toArray();
            medians[i] = values[values.length / 2];
        }
        print("median", medians);
    }

    private static void print(final String label, final double[] mbps)
    {
        System.out.printf(Locale.ROOT, "%-7s %9.0f %11.0f %9.0f %9.0f %9.0f | %8.2f %9.2f %10.2f %10.2f%n", label,
            mbps[0], mbps[1], mbps[2], mbps[3], mbps[4], mbps[3] / mbps[0], mbps[4] / mbps[0], mbps[3] / mbps[1],
            mbps[3] / mbps[2]);
    }

    private static double rate(final long bytes, final long nanos)
    {
        return bytes / 1e6 / (nanos / 1e9);
    }

    /** One round's transfers, over the same store and server. */
    private record Round(
        Path dir, Path source, long bytes, LocalMediaStore store, SignedUrls urls, Clock clock, int port, int chunk)
    {
        double[] run(final int round) throws Exception
        {
            final String sha256 = writeSource(round);
            final double[] mbps = new double[COLUMNS.length];
            final boolean serverFirst = round % 2 == 1;
            if (serverFirst)
            {
                server(sha256, mbps);
            }
            copies(mbps);
            direct(sha256, mbps);
            if (!serverFirst)
            {
                server(sha256, mbps);
            }
            return mbps;
        }

        private void copies(final double[] mbps) throws IOException
        {
            final Path copy = dir.resolve("copy");
            final long plain = System.nanoTime();
            Files.copy(source, copy);
            mbps[0] = rate(bytes, System.nanoTime() - plain);
            Files.delete(copy);
            final long forced = System.nanoTime();
            Files.copy(source, copy);
            try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.WRITE))
            {
                channel.force(true);
            }
            mbps[1] = rate(bytes, System.nanoTime() - forced);
            Files.delete(copy);
        }

        /** The store alone: the same chunks appended from the file, no HTTP. */
        private void direct(final String sha256, final double[] mbps) throws IOException
        {
            final long start = System.nanoTime();
            final String id = createUpload(sha256);
            String blobId = null;
            try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ))
            {
                final ByteBuffer buffer = ByteBuffer.allocateDirect((int)Math.min(chunk, bytes));
                for (long offset = 0; offset < bytes; offset += buffer.limit())
                {
                    buffer.clear().limit((int)Math.min(buffer.capacity(), bytes - offset));
                    while (buffer.hasRemaining())
                    {
                        in.read(buffer);
                    }
                    buffer.flip();
                    final AppendResult result = store.append(id, offset, buffer);
                    blobId = result.completed() ? result.blob().blobId() : null;
                }
            }
            mbps[2] = rate(bytes, System.nanoTime() - start);
            check(sha256, blobId);
            store.deleteBlob(blobId);
        }

        private void server(final String sha256, final double[] mbps) throws Exception
        {
            final long upload = System.nanoTime();
            final String blobId = upload(sha256);
            mbps[3] = rate(bytes, System.nanoTime() - upload);
            final Path downloaded = dir.resolve("downloaded");
            final long download = System.nanoTime();
            download(blobId, downloaded);
            mbps[4] = rate(bytes, System.nanoTime() - download);
            if (Files.size(downloaded) != bytes || !sha256(downloaded).equals(sha256))
            {
                throw new IllegalStateException("the download differs from the file uploaded");
            }
            Files.delete(downloaded);
            store.deleteBlob(blobId);
        }

        /** As the switch answers an UploadTicket, then as a client sends the file. */
        private String upload(final String sha256) throws IOException
        {
            final String id = createUpload(sha256);
            final String token = urls.sign("PATCH", "/media/v1/uploads/" + id, clock.instant().plusSeconds(1800));
            String blobId = null;
            try (Socket socket = new Socket("127.0.0.1", port);
                RandomAccessFile in = new RandomAccessFile(source.toFile(), "r"))
            {
                final OutputStream out = socket.getOutputStream();
                final InputStream answers = new BufferedInputStream(socket.getInputStream());
                final byte[] buffer = new byte[IO_BYTES];
                for (long offset = 0; offset < bytes; offset += chunk)
                {
                    final long n = Math.min(chunk, bytes - offset);
                    out.write(("PATCH /media/v1/uploads/" + id + " HTTP/1.1\r\nHost: bench\r\n" +
                        "Tus-Resumable: 1.0.0\r\nAuthorization: Bearer " + token + "\r\n" +
                        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: " + offset + "\r\n" +
                        "Content-Length: " + n + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    for (long sent = 0; sent < n; )
                    {
                        final int part = (int)Math.min(buffer.length, n - sent);
                        in.readFully(buffer, 0, part);
                        out.write(buffer, 0, part);
                        sent += part;
                    }
                    out.flush();
                    final Map<String, String> headers = new HashMap<>();
                    final int status = readHead(answers, headers);
                    if (status != 204)
                    {
                        throw new IllegalStateException("PATCH answered " + status);
                    }
                    blobId = headers.get("xin-blob-key");
                }
            }
            check(sha256, blobId);
            return blobId;
        }

        private void download(final String blobId, final Path target) throws IOException
        {
            final String path = "/media/v1/blobs/" + blobId;
            final String token = urls.sign("GET", path, clock.instant().plusSeconds(600));
            try (Socket socket = new Socket("127.0.0.1", port);
                OutputStream file = Files.newOutputStream(target))
            {
                socket.getOutputStream().write(("GET " + path + "?token=" + token + " HTTP/1.1\r\nHost: bench\r\n" +
                    "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                final InputStream in = new BufferedInputStream(socket.getInputStream(), IO_BYTES);
                final Map<String, String> headers = new HashMap<>();
                final int status = readHead(in, headers);
                if (status != 200)
                {
                    throw new IllegalStateException("GET answered " + status);
                }
                final long length = Long.parseLong(headers.get("content-length"));
                final byte[] buffer = new byte[IO_BYTES];
                for (long received = 0; received < length; )
                {
                    final int n = in.read(buffer, 0, (int)Math.min(buffer.length, length - received));
                    if (n < 0)
                    {
                        throw new IOException("download ended early");
                    }
                    file.write(buffer, 0, n);
                    received += n;
                }
            }
        }

        private String createUpload(final String sha256)
        {
            return store.createUpload(new UploadRequest(OWNER, bytes, "video/mp4", sha256,
                clock.instant().plus(Duration.ofMinutes(30))));
        }

        private static void check(final String sha256, final String blobId)
        {
            if (!sha256.equals(blobId))
            {
                throw new IllegalStateException("the upload did not complete as blob " + sha256 + ": " + blobId);
            }
        }

        /** Writes random bytes, different every round, and returns their SHA-256. */
        private String writeSource(final int round) throws Exception
        {
            final Random random = new Random(round * 31L + 7);
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            final byte[] buffer = new byte[IO_BYTES];
            try (FileChannel out = FileChannel.open(source, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))
            {
                for (long written = 0; written < bytes; written += buffer.length)
                {
                    random.nextBytes(buffer);
                    final int n = (int)Math.min(buffer.length, bytes - written);
                    digest.update(buffer, 0, n);
                    final ByteBuffer view = ByteBuffer.wrap(buffer, 0, n);
                    while (view.hasRemaining())
                    {
                        out.write(view);
                    }
                }
            }
            return MediaIds.blobId(digest.digest());
        }

        private static String sha256(final Path file) throws Exception
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file))
            {
                final byte[] buffer = new byte[IO_BYTES];
                int n;
                while ((n = in.read(buffer)) > 0)
                {
                    digest.update(buffer, 0, n);
                }
            }
            return MediaIds.blobId(digest.digest());
        }

        /** Reads a response's status line and headers (names in lowercase); returns the status. */
        private static int readHead(final InputStream in, final Map<String, String> headers) throws IOException
        {
            final String status = line(in);
            String line;
            while (!(line = line(in)).isEmpty())
            {
                final int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            return Integer.parseInt(status.split(" ")[1]);
        }

        private static String line(final InputStream in) throws IOException
        {
            final StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) != '\n')
            {
                if (b < 0)
                {
                    throw new IOException("connection closed mid-response");
                }
                if (b != '\r')
                {
                    line.append((char)b);
                }
            }
            return line.toString();
        }
    }
}
