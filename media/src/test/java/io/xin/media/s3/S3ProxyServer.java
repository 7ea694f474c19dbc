package io.xin.media.s3;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.gaul.s3proxy.S3ErrorCode;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.S3ProxyException;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3 API for the tests: S3Proxy over a directory, on the loopback address and a port of the system's
 * choosing, checking SigV4 signatures with a fixed key pair. {@link #client()} is a plain client that looks at a
 * bucket from outside the store.
 * <p>
 * S3Proxy's filesystem backend checks a PUT's If-Match and then writes, two steps another PUT can come between, so
 * two writers racing on one ETag may both succeed. Tests that race stores on one record ask for
 * {@linkplain #S3ProxyServer(Path, boolean) atomic If-Match}: the check is made again, with the write, under a lock
 * on the key, as S3 makes it. Conditional deletes are still checked apart from the removal; no test races them.
 */
public final class S3ProxyServer implements AutoCloseable
{
    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key-0123456789";
    public static final String REGION = "us-east-1";

    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final S3Proxy proxy;
    private final URI endpoint;
    private final S3Client client;
    /** The blob store behind the proxy when If-Match is made atomic; else null. */
    private final AtomicIfMatch atomic;

    /**
     * Starts the server; {@link S3Proxy#start()} returns once it listens.
     *
     * @param dir where the buckets are kept, one directory each.
     */
    public S3ProxyServer(final Path dir) throws Exception
    {
        this(dir, false);
    }

    /**
     * Starts the server.
     *
     * @param dir          where the buckets are kept, one directory each.
     * @param atomicIfMatch whether a PUT's If-Match is checked with the write, as S3 does.
     */
    S3ProxyServer(final Path dir, final boolean atomicIfMatch) throws Exception
    {
        final BlobStore files = new FilesystemNio2BlobStore(dir.toString());
        atomic = atomicIfMatch ? new AtomicIfMatch(files) : null;
        proxy = S3Proxy.builder()
            .blobStore(atomic == null ? files : atomic)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
            .build();
        proxy.start();
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        client = S3Client.builder()
            .endpointOverride(endpoint)
            .region(Region.of(REGION))
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .httpClientBuilder(ApacheHttpClient.builder())
            .build();
    }

    public URI endpoint()
    {
        return endpoint;
    }

    public S3Client client()
    {
        return client;
    }

    /**
     * @return the name of a new, empty bucket.
     */
    public String newBucket()
    {
        final String bucket = "media-test-" + BUCKETS.incrementAndGet();
        client.createBucket(b -> b.bucket(bucket));
        return bucket;
    }

    /**
     * @param bucket a bucket.
     * @return the keys of every object in it, in order.
     */
    public List<String> keys(final String bucket)
    {
        final List<String> keys = new ArrayList<>();
        for (final S3Object object : client.listObjectsV2Paginator(b -> b.bucket(bucket)).contents())
        {
            keys.add(object.key());
        }
        return keys;
    }

    /**
     * @param bucket a bucket.
     * @return the keys of its multipart uploads not completed nor aborted.
     */
    public List<String> multipartUploads(final String bucket)
    {
        final List<String> keys = new ArrayList<>();
        for (final MultipartUpload upload : client.listMultipartUploads(b -> b.bucket(bucket)).uploads())
        {
            keys.add(upload.key());
        }
        return keys;
    }

    /**
     * Runs an action once, on the server, right after the next removal of the key and before its response: the
     * client that sent it is held in between. Needs atomic If-Match.
     */
    void afterNextDelete(final String bucket, final String key, final Runnable action)
    {
        atomic.afterDelete.set(new Hook(bucket, key, action));
    }

    /** @return the PUTs with If-Match that reached the store, when If-Match is made atomic. */
    int conditionalPuts()
    {
        return atomic.conditionalPuts.get();
    }

    @Override
    public void close() throws Exception
    {
        client.close();
        proxy.stop();
    }

    private record Hook(String bucket, String key, Runnable action)
    {
    }

    /** Checks a PUT's If-Match again under a lock on its key, with the write; removals take the same lock. */
    private static final class AtomicIfMatch extends ForwardingBlobStore
    {
        private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();
        private final AtomicInteger conditionalPuts = new AtomicInteger();
        private final AtomicReference<Hook> afterDelete = new AtomicReference<>();

        AtomicIfMatch(final BlobStore delegate)
        {
            super(delegate);
        }

        @Override
        public PutObjectResponse putBlob(final PutObjectRequest request, final InputStream input)
        {
            synchronized (lock(request.bucket(), request.key()))
            {
                if (request.ifMatch() != null && !"*".equals(request.ifMatch()))
                {
                    conditionalPuts.incrementAndGet();
                    final HeadObjectResponse head = delegate().blobMetadataIfPresent(request.bucket(),
                        request.key());
                    if (head == null || !unquoted(head.eTag()).equals(unquoted(request.ifMatch())))
                    {
                        throw new S3ProxyException(S3ErrorCode.PRECONDITION_FAILED);
                    }
                }
                return super.putBlob(request, input);
            }
        }

        @Override
        public DeleteObjectResponse removeBlob(final DeleteObjectRequest request)
        {
            final DeleteObjectResponse response;
            synchronized (lock(request.bucket(), request.key()))
            {
                response = super.removeBlob(request);
            }
            final Hook hook = afterDelete.get();
            if (hook != null && hook.bucket().equals(request.bucket()) && hook.key().equals(request.key()) &&
                afterDelete.compareAndSet(hook, null))
            {
                hook.action().run();
            }
            return response;
        }

        private Object lock(final String bucket, final String key)
        {
            return locks.computeIfAbsent(bucket + "/" + key, k -> new Object());
        }

        private static String unquoted(final String etag)
        {
            return etag == null ? "" : etag.replace("\"", "");
        }
    }
}
