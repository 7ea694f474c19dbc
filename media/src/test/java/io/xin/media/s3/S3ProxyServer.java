package io.xin.media.s3;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3 API for the tests: S3Proxy over a directory, on the loopback address and a port of the system's
 * choosing, checking SigV4 signatures with a fixed key pair. {@link #client()} is a plain client that looks at a
 * bucket from outside the store.
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

    /**
     * Starts the server; {@link S3Proxy#start()} returns once it listens.
     *
     * @param dir where the buckets are kept, one directory each.
     */
    public S3ProxyServer(final Path dir) throws Exception
    {
        proxy = S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(dir.toString()))
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

    @Override
    public void close() throws Exception
    {
        client.close();
        proxy.stop();
    }
}
