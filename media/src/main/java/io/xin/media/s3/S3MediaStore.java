package io.xin.media.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedPutObjectRequest;

import io.xin.media.AppendResult;
import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.media.DirectUpload;
import io.xin.media.DurableFiles;
import io.xin.media.MediaException;
import io.xin.media.MediaIds;
import io.xin.media.MediaLimits;
import io.xin.media.MediaStore;
import io.xin.media.UploadRequest;
import io.xin.media.UploadStatus;
import io.xin.media.Uploads;

/**
 * A {@link MediaStore} on S3 or an S3-compatible object store (MinIO, Ceph, Garage, ...), for a switch whose
 * media outgrow one disk or that serves reads from the store directly through presigned URLs.
 * <p>
 * In the bucket:
 * <pre>
 *   blobs/&lt;sha256 hex&gt;   a completed blob, named by the SHA-256 of its bytes, with the first uploader's
 *                         content type
 *   meta/&lt;sha256 hex&gt;    its record: size, content type, owners, creation, last reference (text, key=value)
 *   usage/&lt;owner id&gt;     the blobs one user owns and their sizes (text, key=value), for the quota
 *   incoming/&lt;upload id&gt;  the bytes of a direct upload, as the client sent them, until completion checks them
 * </pre>
 * A blob exists when its record does and is not marked for deletion: the bytes are written before the record,
 * and removed, after the record is marked, before it is. In {@link S3StoreConfig#spoolDir()}:
 * <pre>
 *   &lt;upload id&gt;/state          owner, size, content type, SHA-256, expiry, the multipart upload's id, the ETag
 *                             of each part sent, and the SHA-256 state after them (properties)
 *   &lt;upload id&gt;/spool-&lt;n&gt;      the bytes after the parts sent, which start at byte n of the upload
 *   lock                      held while a store has the directory open
 * </pre>
 * Uploads follow the tus model as the local store does. Bytes go to the spool file, forced to disk before the
 * offset moves past them; when it holds a whole part ({@link S3StoreConfig#partSizeBytes()}) and the upload is
 * not finished, the part goes to an S3 multipart upload on the key {@code blobs/<declared sha256>}, and the state
 * file is replaced (written aside, forced, renamed) to record it. The offset a client sees counts only durable
 * bytes: the parts recorded plus the forced spool. The spool file is named by where it starts, so a crash
 * between sending a part and recording it leaves the old spool and state, and the part is sent again.
 * <p>
 * Hashing is incremental: each part is hashed from the spool as it is sent and the hash state after it is saved
 * with the part ({@link ResumableSha256}), so completion hashes only the last part and a restarted store needs
 * nothing from the bucket. A match completes the multipart upload (or, for an upload of one part or less, PUTs
 * the spool) at {@code blobs/<sha256>}, writes the record and adds the blob to the owner's usage; a mismatch
 * aborts the multipart upload and drops the upload. When the blob already exists the multipart upload is aborted
 * and the uploader is added to its owners. The upload's local files go last, so a restart after a crash anywhere
 * in completion completes it again, and every step is one that may run twice.
 * <p>
 * A direct upload ({@link #createDirectUpload}) has the same state file, marked {@code direct=true}, and an empty
 * spool that never grows: the client PUTs the whole body to {@code incoming/<upload id>} through a presigned URL
 * that signs its length and its SHA-256, and {@link #completeDirectUpload} checks the object (its length, then the
 * store's verified SHA-256 checksum or, without one, a hash of its bytes), copies it to {@code blobs/<sha256>} and
 * records it as a tus completion does. The bucket's lifecycle rule on {@code incoming/} removes bytes whose upload
 * a crash forgot.
 * <p>
 * Every part and object PUT carries a Content-MD5 of its bytes, so the store refuses bytes damaged on the way;
 * the SDK's own CRC32 checksums are turned off ({@code WHEN_REQUIRED}), as several S3-compatible stores refuse
 * them. Requests use path-style addressing unless configured otherwise.
 * <p>
 * Several stores, in one process or in several (the nodes of a cluster), may share a bucket, each with a spool
 * directory of its own: the lock file stops two stores on one. Every change of a record is a compare-and-swap:
 * the record is read with its ETag, changed, and written back with If-Match on that ETag, or If-None-Match
 * {@code *} when there was none; a record is removed by a DeleteObject with If-Match. A failed condition (412;
 * 409 for a conflicting write in flight; 404 for a record removed since it was read) means another store changed
 * the record first, so it is read again and the same change applied to what is there now, at most
 * {@link #MAX_ATTEMPTS} times. So, across stores:
 * <ul>
 *   <li>uploads of the same bytes end as one blob with every uploader an owner, each owner's usage counting it;
 *   </li>
 *   <li>a reference recorded while another store judges the blob unreferenced makes that store's mark fail
 *   ({@link #deleteIfUnreferencedSince}), and the blob stays; a blob once marked takes no reference: it is gone;
 *   </li>
 *   <li>an upload completing on a blob marked deleting finishes the deletion, then stores the bytes under a new
 *   record: its owner never joins a record about to be removed. A deletion that then finds the new record
 *   leaves it, and puts back the usage it took from its owners.</li>
 * </ul>
 * Not shared: an upload in progress lives on the store that created it, with its spool and state; another store
 * answers that there is no such upload. Not guarded by a condition: the bytes, at one key whatever their record,
 * are deleted unconditionally, so a deleting store's DELETE of them that reaches the bucket only after another
 * store finished the same deletion and stored those bytes anew removes them under a live record. That takes an
 * upload of bytes being deleted, which no message has referenced for the retention and the grace, in the moment
 * two stores finish their deletion. For the same reason bytes without a record are never deleted: another store
 * may be about to record them.
 * <p>
 * The bucket must apply conditional writes atomically, as S3 does. S3Proxy honours If-Match and If-None-Match on
 * PutObject and If-Match on DeleteObject, but its filesystem backend checks If-Match and then writes in two steps
 * (only If-None-Match is atomic there), so two stores racing on one ETag may both succeed against it.
 * <p>
 * Threading: any thread. Operations on one upload are serialized on it; this store's changes to a blob's record
 * on one of a few dozen blob locks, and to a usage record on one of as many owner locks, always taken after a
 * blob lock and never two at once: they spare conditional writes bound to fail, and correctness does not rest on
 * them. Reads take no lock. Every call that reaches the bucket blocks for its round trips.
 */
public final class S3MediaStore implements MediaStore
{
    static final String BLOBS_PREFIX = "blobs/";
    static final String RECORDS_PREFIX = "meta/";
    static final String USAGE_PREFIX = "usage/";
    static final String INCOMING_PREFIX = "incoming/";
    /** The method of a direct upload's presigned request. */
    public static final String DIRECT_METHOD = "PUT";
    static final String STATE_FILE = "state";
    static final String SPOOL_PREFIX = "spool-";
    /** S3's most parts in one multipart upload. */
    static final int MAX_PARTS = 10_000;
    /** S3's longest presigned URL lifetime with SigV4. */
    public static final Duration MAX_PRESIGNED_LIFETIME = Duration.ofDays(7);

    private static final String TMP_SUFFIX = ".tmp";
    private static final String LOCK_FILE = "lock";
    private static final String RECORD_TYPE = "text/plain; charset=utf-8";
    private static final int LOCK_STRIPES = 64;
    private static final int COPY_BUFFER_BYTES = 64 * 1024;
    /** Reads and conditional writes of one record before a change gives up: each failure is another store's win. */
    static final int MAX_ATTEMPTS = 16;

    private final S3StoreConfig config;
    private final MediaLimits limits;
    private final Clock clock;
    private final String bucket;
    private final Path spoolDir;
    /** Thread safe: every operation of every thread goes through it and its connection pool. */
    private final S3Client s3;
    /** Thread safe; signs locally, without a request. */
    private final S3Presigner presigner;
    /** Held from construction to close so a second store cannot open the spool directory too. */
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Uploads in progress, by id; an entry leaves the map under its own monitor, with {@link Upload#gone} set. */
    private final ConcurrentHashMap<String, Upload> uploads = new ConcurrentHashMap<>();
    /** Serializes upload creation, so the per-owner count and the insert are one step. */
    private final Object createLock = new Object();
    /** Serialize this store's changes to the record of a blob, by its id's first byte; other stores race them. */
    private final Object[] blobLocks = newLocks();
    /** Serialize this store's changes to the usage record of an owner, by the owner's hash. */
    private final Object[] ownerLocks = newLocks();
    private volatile boolean closed;

    /**
     * An upload in progress. The final fields are read by any thread; the others under this object's monitor.
     */
    private static final class Upload implements Uploads.Pending
    {
        final String id;
        final long ownerId;
        final long size;
        final String contentType;
        final String sha256;
        final Instant createdAt;
        final Instant expiresAt;
        /** The part size when the upload started: a changed configuration does not move its parts. */
        final long partSize;
        final Path dir;
        /** True for a direct upload: the bytes go to {@code incoming/<id>}, never to the spool. */
        final boolean direct;
        /** The S3 multipart upload, once the first part was sent; else null. */
        String multipartId;
        /** The ETag of each part sent and recorded, part n at n - 1. */
        List<String> etags = new ArrayList<>();
        /** The SHA-256 state after the recorded parts. */
        ResumableSha256 hash = new ResumableSha256();
        /** Set, under this monitor, when the upload completed or was removed. */
        boolean gone;

        Upload(
            final String id,
            final long ownerId,
            final long size,
            final String contentType,
            final String sha256,
            final Instant createdAt,
            final Instant expiresAt,
            final long partSize,
            final Path dir,
            final boolean direct)
        {
            this.id = id;
            this.ownerId = ownerId;
            this.size = size;
            this.contentType = contentType;
            this.sha256 = sha256;
            this.createdAt = createdAt;
            this.expiresAt = expiresAt;
            this.partSize = partSize;
            this.dir = dir;
            this.direct = direct;
        }

        /** Bytes in the recorded parts: where the spool starts. */
        long partsBytes()
        {
            return etags.size() * partSize;
        }

        Path spool()
        {
            return dir.resolve(SPOOL_PREFIX + partsBytes());
        }

        String key()
        {
            return BLOBS_PREFIX + sha256;
        }

        String incomingKey()
        {
            return INCOMING_PREFIX + id;
        }

        @Override
        public String id()
        {
            return id;
        }

        @Override
        public long ownerId()
        {
            return ownerId;
        }

        @Override
        public long size()
        {
            return size;
        }

        @Override
        public String contentType()
        {
            return contentType;
        }

        @Override
        public String sha256()
        {
            return sha256;
        }

        @Override
        public Instant expiresAt()
        {
            return expiresAt;
        }
    }

    /** Writes an upload's verified bytes at {@code blobs/<sha256>}; it may run more than once. */
    private interface BytesWriter
    {
        void write() throws IOException;
    }

    /** What an upload was at the start of an append, to take the append back. */
    private record Mark(int parts, ResumableSha256 hash, long spoolLength, Path spool)
    {
    }

    /** A chunk being appended: a buffer in memory or a request body. */
    private interface Source
    {
        /** Like {@link InputStream#read(byte[], int, int)}; a failure is the client's, not the store's. */
        int read(byte[] into, int offset, int length) throws IOException;
    }

    /** A failure of the client's stream, carried past the store's own I/O error handling. */
    private static final class StreamFailed extends Exception
    {
        private static final long serialVersionUID = 1L;

        StreamFailed(final IOException cause)
        {
            super(cause);
        }
    }

    /**
     * A blob's record, as kept in {@code meta/<sha256>}.
     *
     * @param size            the blob's length.
     * @param contentType     the first uploader's content type.
     * @param owners          users whose uploads completed with these bytes.
     * @param createdAt       when the blob was first stored.
     * @param lastReferenceAt the latest time a message referenced it, or null if never referenced.
     * @param deleting        true once a deletion has started: the blob no longer exists.
     */
    private record BlobRecord(
        long size,
        String contentType,
        Set<Long> owners,
        Instant createdAt,
        Instant lastReferenceAt,
        boolean deleting)
    {
        BlobInfo toBlobInfo(final String blobId)
        {
            return new BlobInfo(blobId, size, contentType, owners, createdAt);
        }

        Instant lastUse()
        {
            return lastReferenceAt == null ? createdAt : lastReferenceAt;
        }

        BlobRecord withOwner(final long ownerId)
        {
            final Set<Long> more = new TreeSet<>(owners);
            more.add(ownerId);
            return new BlobRecord(size, contentType, more, createdAt, lastReferenceAt, deleting);
        }

        BlobRecord referencedAt(final Instant at)
        {
            return new BlobRecord(size, contentType, owners, createdAt, at, deleting);
        }

        BlobRecord markedDeleting()
        {
            return new BlobRecord(size, contentType, owners, createdAt, lastReferenceAt, true);
        }
    }

    /**
     * A record as read from the bucket, with the ETag a conditional write checks it against.
     *
     * @param value the record, or null when there is none.
     * @param etag  its ETag, or null when there is none.
     */
    private record Versioned<T>(T value, String etag)
    {
    }

    /**
     * Opens a store on a bucket, which must exist, and recovers the uploads in progress kept in the spool
     * directory: leftovers of a crash are removed, and an upload whose bytes were all received is completed (or
     * discarded if they do not match its hash).
     *
     * @param config where the bucket and the spool directory are.
     * @param limits the limits to enforce.
     * @param clock  the time for expiries and records; tests pass one they move.
     * @throws MediaException ({@link MediaException.Reason#STORAGE}) if the spool directory cannot be used or
     *                        another store has it open, or the bucket cannot be reached.
     */
    public S3MediaStore(final S3StoreConfig config, final MediaLimits limits, final Clock clock)
    {
        if (config == null || limits == null || clock == null)
        {
            throw new IllegalArgumentException("config, limits and clock are required");
        }
        this.config = config;
        this.limits = limits;
        this.clock = clock;
        this.bucket = config.bucket();
        this.spoolDir = config.spoolDir();
        FileChannel channel = null;
        S3Client client = null;
        S3Presigner signer = null;
        try
        {
            Files.createDirectories(spoolDir);
            channel = FileChannel.open(spoolDir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
            FileLock held;
            try
            {
                held = channel.tryLock();
            }
            catch (final OverlappingFileLockException e)
            {
                held = null;
            }
            if (held == null)
            {
                throw new MediaException(MediaException.Reason.STORAGE,
                    "media spool directory already in use: " + spoolDir);
            }
            final StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(config.accessKey(), config.secretKey()));
            // Scheme and authority only: a trailing slash would put an empty segment before the bucket.
            final URI endpoint = URI.create(config.endpoint().getScheme() + "://" +
                config.endpoint().getRawAuthority());
            client = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(config.pathStyle())
                // The SDK's CRC32 checksums on every request and response are refused by several S3-compatible
                // stores; parts and objects carry a Content-MD5 instead.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(ApacheHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofSeconds(60)))
                .build();
            signer = S3Presigner.builder()
                .endpointOverride(endpoint)
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build())
                .build();
            final S3Client checked = client;
            try
            {
                checked.headBucket(b -> b.bucket(bucket));
            }
            catch (final SdkException e)
            {
                throw new MediaException(MediaException.Reason.STORAGE,
                    "bucket " + bucket + " at " + config.endpoint() + " cannot be used: " + e.getMessage(), e);
            }
            this.lockChannel = channel;
            this.lock = held;
            this.s3 = client;
            this.presigner = signer;
            recover();
        }
        catch (final IOException e)
        {
            DurableFiles.closeQuietly(signer);
            DurableFiles.closeQuietly(client);
            DurableFiles.closeQuietly(channel);
            throw new MediaException(MediaException.Reason.STORAGE, "opening media store " + config + " failed", e);
        }
        catch (final RuntimeException e)
        {
            DurableFiles.closeQuietly(signer);
            DurableFiles.closeQuietly(client);
            DurableFiles.closeQuietly(channel);
            throw e;
        }
    }

    /**
     * @return the configuration this store was opened with.
     */
    public S3StoreConfig config()
    {
        return config;
    }

    @Override
    public String createUpload(final UploadRequest request)
    {
        return newUpload(request, false).id;
    }

    /**
     * {@inheritDoc}
     * <p>
     * A SigV4 presigned PutObject of {@code incoming/<upload id>} that signs Content-Length, Content-Type and
     * {@code x-amz-checksum-sha256}, signed here without a request to the bucket. The URL lives as long as the
     * upload, at most 7 days (the SigV4 limit).
     */
    @Override
    public Optional<DirectUpload> createDirectUpload(final UploadRequest request)
    {
        final Upload upload = newUpload(request, true);
        return Optional.of(presignDirect(upload));
    }

    @Override
    public boolean signsDirectUploads()
    {
        return true;
    }

    @Override
    public Optional<DirectUpload> directUpload(final String uploadId)
    {
        checkOpen();
        final Upload upload = uploads.get(MediaIds.requireUploadId(uploadId));
        if (upload == null || !upload.direct)
        {
            return Optional.empty();
        }
        synchronized (upload)
        {
            if (upload.gone || !upload.expiresAt.isAfter(clock.instant()))
            {
                return Optional.empty();
            }
            return Optional.of(presignDirect(upload));
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * A HEAD of {@code incoming/<upload id>} asking for its checksum: a length other than the declared size
     * discards the upload; a SHA-256 checksum equal to the declared one, which the store computed and checked
     * when it took the bytes, spares reading them; without one the bytes are read and hashed. Then a server-side
     * copy to {@code blobs/<sha256>}, the record and the owner's usage as {@link #append} completes an upload, and
     * the incoming object and the upload's files are removed.
     */
    @Override
    public Optional<BlobInfo> completeDirectUpload(final long ownerId, final String blobId)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        for (final Upload upload : uploads.values())
        {
            if (!upload.direct || upload.ownerId != ownerId || !upload.sha256.equals(blobId))
            {
                continue;
            }
            synchronized (upload)
            {
                if (upload.gone)
                {
                    continue;
                }
                final Optional<BlobInfo> blob = completeDirect(upload);
                if (blob.isPresent())
                {
                    return blob;
                }
            }
        }
        return Optional.empty();
    }

    /** Starts an upload, tus or direct. */
    private Upload newUpload(final UploadRequest request, final boolean direct)
    {
        checkOpen();
        final Instant now = clock.instant();
        final UploadRequest checked = Uploads.checkRequest(request, now, limits);
        final long partSize = config.partSizeBytes();
        if ((checked.size() - 1) / partSize + 1 > MAX_PARTS)
        {
            throw new MediaException(MediaException.Reason.TOO_LARGE,
                "upload of " + checked.size() + " bytes needs more than " + MAX_PARTS + " parts of " + partSize);
        }
        synchronized (createLock)
        {
            Uploads.requireRoomFor(uploads.values(), checked.ownerId(), now, limits);
            String id = MediaIds.newUploadId();
            while (uploads.containsKey(id) || Files.exists(spoolDir.resolve(id)))
            {
                id = MediaIds.newUploadId();
            }
            final Upload upload = new Upload(id, checked.ownerId(), checked.size(), checked.contentType(),
                checked.sha256(), now, checked.expiresAt(), partSize, spoolDir.resolve(id), direct);
            writeNewUpload(upload);
            uploads.put(id, upload);
            return upload;
        }
    }

    /** Signs the PUT of a direct upload's bytes, for the rest of its life or 7 days, whichever is shorter. */
    private DirectUpload presignDirect(final Upload upload)
    {
        final Instant now = clock.instant();
        Duration lifetime = Duration.between(now, upload.expiresAt);
        if (lifetime.compareTo(MAX_PRESIGNED_LIFETIME) > 0)
        {
            lifetime = MAX_PRESIGNED_LIFETIME;
        }
        if (lifetime.compareTo(Duration.ofSeconds(1)) < 0)
        {
            lifetime = Duration.ofSeconds(1);
        }
        final Duration signatureDuration = lifetime;
        final String checksum = base64Sha256(upload.sha256);
        final PresignedPutObjectRequest signed;
        try
        {
            signed = presigner.presignPutObject(p -> p
                .signatureDuration(signatureDuration)
                .putObjectRequest(b -> b.bucket(bucket).key(upload.incomingKey())
                    .contentLength(upload.size)
                    .contentType(upload.contentType)
                    .checksumSHA256(checksum)));
        }
        catch (final SdkException e)
        {
            throw storage("signing the direct upload " + upload.id, e);
        }
        final List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (final Map.Entry<String, List<String>> header : new TreeMap<>(signed.signedHeaders()).entrySet())
        {
            final String name = header.getKey();
            // Every HTTP client sets these two itself, from the URL and the body.
            if (name.equalsIgnoreCase("host") || name.equalsIgnoreCase("content-length"))
            {
                continue;
            }
            headers.add(Map.entry(name, String.join(",", header.getValue())));
        }
        final URI url;
        try
        {
            url = signed.url().toURI();
        }
        catch (final URISyntaxException e)
        {
            throw new IllegalStateException("the SDK signed a malformed URL", e);
        }
        return new DirectUpload(upload.id, url, DIRECT_METHOD, headers, signed.expiration());
    }

    /**
     * Completes a direct upload if its bytes are in the bucket. Holds the upload's monitor.
     *
     * @return the blob, or empty if the bytes were not sent or did not match (the upload is then gone).
     */
    private Optional<BlobInfo> completeDirect(final Upload upload)
    {
        final HeadObjectResponse head;
        try
        {
            head = s3.headObject(b -> b.bucket(bucket).key(upload.incomingKey()).checksumMode(ChecksumMode.ENABLED));
        }
        catch (final NoSuchKeyException e)
        {
            return Optional.empty();
        }
        catch (final SdkException e)
        {
            throw storage("looking up the bytes of direct upload " + upload.id, e);
        }
        if (head.contentLength() == null || head.contentLength() != upload.size)
        {
            removeUpload(upload, true);
            return Optional.empty();
        }
        final String checksum = base64Sha256(upload.sha256);
        if (!checksum.equals(head.checksumSHA256()))
        {
            final Optional<String> actual = hashObject(upload.incomingKey(), upload.size);
            if (actual.isEmpty())
            {
                return Optional.empty();
            }
            if (!MessageDigest.isEqual(actual.get().getBytes(StandardCharsets.US_ASCII),
                upload.sha256.getBytes(StandardCharsets.US_ASCII)))
            {
                removeUpload(upload, true);
                return Optional.empty();
            }
        }
        final BlobInfo blob;
        try
        {
            synchronized (blobLock(upload.sha256))
            {
                blob = record(upload, () -> copyIncoming(upload), upload.sha256);
            }
        }
        catch (final IOException e)
        {
            throw storage("completing direct upload " + upload.id, e);
        }
        catch (final MediaException e)
        {
            if (e.reason() == MediaException.Reason.NOT_FOUND)
            {
                return Optional.empty();
            }
            throw e;
        }
        deleteObject(upload.incomingKey());
        removeUpload(upload, false);
        return Optional.of(blob);
    }

    /**
     * Reads an object to its end and hashes it; more bytes than expected stop the read.
     *
     * @return the SHA-256 in lowercase hex, or empty if the object is gone.
     */
    private Optional<String> hashObject(final String key, final long size)
    {
        final MessageDigest sha = sha256();
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(key)))
        {
            final byte[] buffer = new byte[COPY_BUFFER_BYTES];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) >= 0)
            {
                total += n;
                if (total > size)
                {
                    in.abort();
                    return Optional.of("");
                }
                sha.update(buffer, 0, n);
            }
        }
        catch (final NoSuchKeyException e)
        {
            return Optional.empty();
        }
        catch (final IOException | SdkException e)
        {
            throw storage("reading " + key, e);
        }
        return Optional.of(MediaIds.blobId(sha.digest()));
    }

    /** Copies a checked direct upload's bytes to the blob's key, inside the bucket. */
    private void copyIncoming(final Upload upload)
    {
        try
        {
            s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(upload.incomingKey())
                .destinationBucket(bucket).destinationKey(upload.key())
                .metadataDirective(MetadataDirective.REPLACE).contentType(upload.contentType));
        }
        catch (final NoSuchKeyException e)
        {
            removeUpload(upload, false);
            throw new MediaException(MediaException.Reason.NOT_FOUND, "the bytes of direct upload " + upload.id +
                " are no longer in bucket " + bucket + "; the upload is discarded", e);
        }
        catch (final SdkException e)
        {
            throw storage("copying the bytes of direct upload " + upload.id, e);
        }
    }

    /** @return a SHA-256 given in lowercase hex, in base64 as {@code x-amz-checksum-sha256} carries it. */
    private static String base64Sha256(final String hex)
    {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    }

    private static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    @Override
    public long offset(final String uploadId)
    {
        final Upload upload = find(uploadId);
        synchronized (upload)
        {
            requireNotGone(upload);
            return offsetOf(upload);
        }
    }

    @Override
    public Optional<UploadStatus> upload(final String uploadId)
    {
        checkOpen();
        final Upload upload = uploads.get(MediaIds.requireUploadId(uploadId));
        if (upload == null)
        {
            return Optional.empty();
        }
        synchronized (upload)
        {
            if (upload.gone)
            {
                return Optional.empty();
            }
            return Optional.of(Uploads.status(upload, offsetOf(upload)));
        }
    }

    @Override
    public AppendResult append(final String uploadId, final long offset, final ByteBuffer chunk)
    {
        if (chunk == null)
        {
            throw Uploads.invalid("chunk is null");
        }
        final Upload upload = find(uploadId);
        synchronized (upload)
        {
            requireWritable(upload);
            final long current = offsetOf(upload);
            Uploads.requireOffset(upload, offset, current);
            if (chunk.remaining() > upload.size - current)
            {
                throw Uploads.tooLarge(upload, current + chunk.remaining());
            }
            try
            {
                return appendFrom(upload, (into, at, length) ->
                {
                    if (!chunk.hasRemaining())
                    {
                        return -1;
                    }
                    final int n = Math.min(length, chunk.remaining());
                    chunk.get(into, at, n);
                    return n;
                });
            }
            catch (final StreamFailed e)
            {
                throw new IllegalStateException("a buffer cannot fail", e);
            }
        }
    }

    @Override
    public AppendResult append(final String uploadId, final long offset, final InputStream chunk) throws IOException
    {
        if (chunk == null)
        {
            throw Uploads.invalid("chunk is null");
        }
        final Upload upload = find(uploadId);
        synchronized (upload)
        {
            requireWritable(upload);
            Uploads.requireOffset(upload, offset, offsetOf(upload));
            try
            {
                return appendFrom(upload, chunk::read);
            }
            catch (final StreamFailed e)
            {
                throw (IOException)e.getCause();
            }
        }
    }

    @Override
    public boolean deleteUpload(final String uploadId)
    {
        checkOpen();
        final Upload upload = uploads.get(MediaIds.requireUploadId(uploadId));
        if (upload == null)
        {
            return false;
        }
        synchronized (upload)
        {
            if (upload.gone)
            {
                return false;
            }
            removeUpload(upload, true);
            return true;
        }
    }

    @Override
    public List<String> expiredUploads(final Instant before)
    {
        checkOpen();
        return Uploads.expiredBy(uploads.values(), before);
    }

    @Override
    public Optional<BlobInfo> stat(final String blobId)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        final BlobRecord record = readRecord(blobId).value();
        if (record == null || record.deleting())
        {
            return Optional.empty();
        }
        return Optional.of(record.toBlobInfo(blobId));
    }

    /**
     * {@inheritDoc}
     * <p>
     * One ranged GET of the blob's bytes; the record is not read. Closing the stream before its end drops the
     * connection rather than reading the rest of the range.
     */
    @Override
    public InputStream read(final String blobId, final ByteRange range)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        if (range == null)
        {
            throw new MediaException(MediaException.Reason.INVALID_RANGE, "range is null");
        }
        final ResponseInputStream<GetObjectResponse> in;
        try
        {
            in = s3.getObject(b -> b.bucket(bucket).key(BLOBS_PREFIX + blobId)
                .range("bytes=" + range.first() + "-" + range.last()));
        }
        catch (final NoSuchKeyException e)
        {
            throw new MediaException(MediaException.Reason.NOT_FOUND, "no blob " + blobId);
        }
        catch (final S3Exception e)
        {
            if (e.statusCode() == 416)
            {
                throw pastEnd(blobId, range, "its end");
            }
            throw storage("reading blob " + blobId, e);
        }
        catch (final SdkException e)
        {
            throw storage("reading blob " + blobId, e);
        }
        // A range that starts within the object but ends past it is served cut short, not refused.
        final Long length = in.response().contentLength();
        if (length == null || length != range.length())
        {
            in.abort();
            DurableFiles.closeQuietly(in);
            throw pastEnd(blobId, range, in.response().contentRange());
        }
        return new RangeStream(in, length);
    }

    @Override
    public boolean deleteBlob(final String blobId)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        // Bytes without a record are left alone: another store may be completing an upload of them.
        return deleteIf(blobId, record -> true);
    }

    /**
     * {@inheritDoc}
     * <p>
     * The record is marked deleting with a write conditional on the ETag of the record that was judged
     * unreferenced: a reference recorded in between, by this store or another, makes the write fail, and the
     * record is read and judged again.
     */
    @Override
    public boolean deleteIfUnreferencedSince(final String blobId, final Instant before)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        if (before == null)
        {
            throw Uploads.invalid("time is null");
        }
        return deleteIf(blobId, record -> record.lastUse().isBefore(before));
    }

    /**
     * Marks the blob's record deleting if the test passes, then removes the blob; a record already marked is
     * removed whatever the test says, to finish a deletion that was interrupted or is under way elsewhere.
     *
     * @return true if this call marked the record.
     */
    private boolean deleteIf(final String blobId, final Predicate<BlobRecord> test)
    {
        synchronized (blobLock(blobId))
        {
            final boolean[] marked = new boolean[1];
            final BlobRecord record = updateRecord(blobId, current ->
            {
                marked[0] = current != null && !current.deleting() && test.test(current);
                return marked[0] ? current.markedDeleting() : current;
            }).value();
            if (record == null || !record.deleting())
            {
                return false;
            }
            finishDeletion(blobId, record);
            return marked[0];
        }
    }

    @Override
    public long usage(final long ownerId)
    {
        checkOpen();
        long total = 0;
        for (final long size : readUsage(ownerId).value().values())
        {
            total += size;
        }
        return total + Uploads.bytesInProgress(uploads.values(), ownerId, clock.instant());
    }

    @Override
    public boolean touch(final String blobId, final Instant at)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        if (at == null)
        {
            throw Uploads.invalid("time is null");
        }
        final Instant millis = Instant.ofEpochMilli(at.toEpochMilli());
        synchronized (blobLock(blobId))
        {
            // Once marked deleting the record takes no reference: the deletion goes on and the blob is gone.
            final BlobRecord record = updateRecord(blobId, current ->
                current == null || current.deleting() ||
                    (current.lastReferenceAt() != null && !millis.isAfter(current.lastReferenceAt()))
                    ? current : current.referencedAt(millis)).value();
            return record != null && !record.deleting();
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * Reads every blob's record, in the order of the blob ids: a collector on a bucket of millions of blobs runs
     * it seldom. A blob whose deletion was interrupted is always listed, so deleting it again finishes the job.
     */
    @Override
    public List<String> unreferencedSince(final Instant before, final int limit)
    {
        checkOpen();
        if (before == null)
        {
            throw Uploads.invalid("time is null");
        }
        if (limit < 0)
        {
            throw Uploads.invalid("limit must not be negative: " + limit);
        }
        final List<String> ids = new ArrayList<>();
        if (limit == 0)
        {
            return ids;
        }
        final ListObjectsV2Request request = ListObjectsV2Request.builder()
            .bucket(bucket)
            .prefix(RECORDS_PREFIX)
            .build();
        try
        {
            for (final ListObjectsV2Response page : s3.listObjectsV2Paginator(request))
            {
                for (final S3Object object : page.contents())
                {
                    final String blobId = object.key().substring(RECORDS_PREFIX.length());
                    if (!MediaIds.isBlobId(blobId))
                    {
                        continue;
                    }
                    final BlobRecord record = readRecord(blobId).value();
                    if (record != null && (record.deleting() || record.lastUse().isBefore(before)))
                    {
                        ids.add(blobId);
                        if (ids.size() == limit)
                        {
                            return ids;
                        }
                    }
                }
            }
        }
        catch (final SdkException e)
        {
            throw storage("listing blob records", e);
        }
        return ids;
    }

    /**
     * {@inheritDoc}
     * <p>
     * A SigV4 presigned GET of {@code blobs/<blobId>}, signed here without a request to the bucket (a URL for a
     * missing blob answers 404 from the store). SigV4 caps a presigned URL's life at 7 days: a later expiry is
     * brought back to 7 days from now.
     *
     * @throws MediaException {@link MediaException.Reason#INVALID_ARGUMENT} for a malformed id or an expiry not in
     *                        the future.
     */
    @Override
    public Optional<URI> presignedRead(final String blobId, final Instant expiresAt)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        final Instant now = clock.instant();
        if (expiresAt == null || !expiresAt.isAfter(now))
        {
            throw Uploads.invalid("URL expiry must be in the future: " + expiresAt);
        }
        Duration lifetime = Duration.between(now, expiresAt);
        if (lifetime.compareTo(MAX_PRESIGNED_LIFETIME) > 0)
        {
            lifetime = MAX_PRESIGNED_LIFETIME;
        }
        if (lifetime.compareTo(Duration.ofSeconds(1)) < 0)
        {
            // SigV4 counts whole seconds.
            lifetime = Duration.ofSeconds(1);
        }
        final Duration signatureDuration = lifetime;
        try
        {
            return Optional.of(presigner.presignGetObject(p -> p
                .signatureDuration(signatureDuration)
                .getObjectRequest(g -> g.bucket(bucket).key(BLOBS_PREFIX + blobId))).url().toURI());
        }
        catch (final URISyntaxException e)
        {
            throw new IllegalStateException("the SDK signed a malformed URL", e);
        }
        catch (final SdkException e)
        {
            throw storage("signing a URL for blob " + blobId, e);
        }
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        DurableFiles.closeQuietly(presigner);
        DurableFiles.closeQuietly(s3);
        try
        {
            lock.release();
        }
        catch (final IOException ignored)
        {
            // Closing the channel releases it too.
        }
        DurableFiles.closeQuietly(lockChannel);
    }

    private void recover() throws IOException
    {
        final List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(spoolDir))
        {
            dir.forEach(entries::add);
        }
        for (final Path entry : entries)
        {
            final String name = entry.getFileName().toString();
            if (LOCK_FILE.equals(name))
            {
                continue;
            }
            if (!MediaIds.isUploadId(name) || !Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS))
            {
                // A creation that never reached its rename.
                DurableFiles.deleteTree(entry);
                continue;
            }
            final Upload upload;
            try
            {
                upload = readState(name, entry);
            }
            catch (final IOException | RuntimeException e)
            {
                DurableFiles.deleteTree(entry);
                continue;
            }
            // Only the spool the state names is current: others are from before a part was recorded, or from a
            // part sent but not recorded (sent again next time).
            final Path spool = upload.spool();
            try (Stream<Path> files = Files.list(entry))
            {
                for (final Path file : files.toList())
                {
                    if (!file.getFileName().toString().equals(STATE_FILE) && !file.equals(spool))
                    {
                        Files.deleteIfExists(file);
                    }
                }
            }
            if (!Files.exists(spool))
            {
                createEmpty(spool);
            }
            DurableFiles.forceDirectory(entry);
            uploads.put(upload.id, upload);
            if (upload.direct)
            {
                // Its bytes are in the bucket, or not yet: a reference to the blob completes it.
                continue;
            }
            synchronized (upload)
            {
                final long spoolLength = Files.size(spool);
                if (spoolLength > upload.partSize || upload.partsBytes() + spoolLength > upload.size)
                {
                    removeUpload(upload, true);
                }
                else if (upload.partsBytes() + spoolLength == upload.size)
                {
                    try
                    {
                        complete(upload);
                    }
                    catch (final MediaException e)
                    {
                        if (e.reason() != MediaException.Reason.HASH_MISMATCH &&
                            e.reason() != MediaException.Reason.NOT_FOUND)
                        {
                            throw e;
                        }
                    }
                }
            }
        }
        DurableFiles.forceDirectory(spoolDir);
    }

    /**
     * Copies a chunk into the upload's spool, sending each part it fills, then completes the upload if the chunk
     * reached its size. Holds the upload's monitor; the offset was checked.
     */
    private AppendResult appendFrom(final Upload upload, final Source source) throws StreamFailed
    {
        try
        {
            // A full spool is left when sending its part failed: send it before taking more.
            sendIfFull(upload);
            final Mark mark = new Mark(upload.etags.size(), upload.hash, Files.size(upload.spool()), upload.spool());
            final long position = copy(upload, source, mark);
            deleteStaleSpools(upload);
            if (position < upload.size)
            {
                return new AppendResult(position, null);
            }
            return new AppendResult(position, complete(upload));
        }
        catch (final IOException e)
        {
            throw storage("appending to upload " + upload.id, e);
        }
    }

    private long copy(final Upload upload, final Source source, final Mark mark) throws IOException, StreamFailed
    {
        final byte[] buffer = new byte[COPY_BUFFER_BYTES];
        FileChannel channel = FileChannel.open(upload.spool(), StandardOpenOption.WRITE);
        try
        {
            long position = upload.partsBytes() + channel.size();
            while (true)
            {
                // One byte more than the upload still takes, to notice a body that runs past its size.
                final int want = (int)Math.min(buffer.length, upload.size - position + 1);
                final int read;
                try
                {
                    read = source.read(buffer, 0, want);
                }
                catch (final IOException e)
                {
                    // The connection dropped: keep what arrived, so the client resumes from there.
                    channel.force(false);
                    channel.close();
                    deleteStaleSpools(upload);
                    throw new StreamFailed(e);
                }
                if (read < 0)
                {
                    break;
                }
                if (read > upload.size - position)
                {
                    channel.close();
                    takeBack(upload, mark);
                    throw Uploads.tooLarge(upload, position + read);
                }
                int done = 0;
                while (done < read)
                {
                    final long inSpool = position - upload.partsBytes();
                    final int n = (int)Math.min(read - done, upload.partSize - inSpool);
                    final ByteBuffer bytes = ByteBuffer.wrap(buffer, done, n);
                    long at = inSpool;
                    while (bytes.hasRemaining())
                    {
                        at += channel.write(bytes, at);
                    }
                    position += n;
                    done += n;
                    if (position - upload.partsBytes() == upload.partSize && position < upload.size)
                    {
                        channel.force(false);
                        channel.close();
                        sendPart(upload);
                        channel = FileChannel.open(upload.spool(), StandardOpenOption.WRITE);
                    }
                }
            }
            channel.force(false);
            return position;
        }
        finally
        {
            channel.close();
        }
    }

    /** Puts an upload back where an append started: a refused body leaves nothing behind. */
    private void takeBack(final Upload upload, final Mark mark) throws IOException
    {
        if (upload.etags.size() != mark.parts())
        {
            // Parts past the mark stay in the multipart upload unrecorded; the same part numbers are sent again.
            writeState(upload, new ArrayList<>(upload.etags.subList(0, mark.parts())), mark.hash(),
                upload.multipartId);
            upload.etags = new ArrayList<>(upload.etags.subList(0, mark.parts()));
            upload.hash = mark.hash();
        }
        try (FileChannel channel = FileChannel.open(mark.spool(), StandardOpenOption.WRITE))
        {
            channel.truncate(mark.spoolLength());
            channel.force(false);
        }
        deleteStaleSpools(upload);
    }

    /** Sends the spool as the next part if it is full and the upload is not finished. */
    private void sendIfFull(final Upload upload) throws IOException
    {
        final long inSpool = Files.size(upload.spool());
        if (inSpool == upload.partSize && upload.partsBytes() + inSpool < upload.size)
        {
            sendPart(upload);
        }
    }

    /**
     * Sends the full spool as the next part and records it: the new spool first, then the state, whose rename
     * makes the part count. The old spool stays until the append ends, in case the append is taken back.
     */
    private void sendPart(final Upload upload) throws IOException
    {
        final Path spool = upload.spool();
        final ResumableSha256 hash = upload.hash.copy();
        final String md5 = hashFile(spool, hash);
        String multipartId = upload.multipartId;
        if (multipartId == null)
        {
            try
            {
                multipartId = s3.createMultipartUpload(b -> b.bucket(bucket).key(upload.key())
                    .contentType(upload.contentType)).uploadId();
            }
            catch (final SdkException e)
            {
                throw storage("starting the multipart upload of upload " + upload.id, e);
            }
            // Recorded at once, so a crash does not leave a multipart upload no state names.
            writeState(upload, upload.etags, upload.hash, multipartId);
            upload.multipartId = multipartId;
        }
        final int partNumber = upload.etags.size() + 1;
        final String etag;
        try
        {
            etag = uploadPart(upload, partNumber, spool, md5);
        }
        catch (final SdkException e)
        {
            if (isNoSuchUpload(e))
            {
                throw partsGone(upload, e);
            }
            throw storage("sending part " + partNumber + " of upload " + upload.id, e);
        }
        final List<String> etags = new ArrayList<>(upload.etags);
        etags.add(etag);
        createEmpty(upload.dir.resolve(SPOOL_PREFIX + (etags.size() * upload.partSize)));
        writeState(upload, etags, hash, multipartId);
        upload.etags = etags;
        upload.hash = hash;
    }

    /** Sends one part; an S3 failure is the caller's to judge. */
    private String uploadPart(final Upload upload, final int partNumber, final Path file, final String md5)
        throws IOException
    {
        final long length = Files.size(file);
        return s3.uploadPart(b -> b.bucket(bucket).key(upload.key()).uploadId(upload.multipartId)
            .partNumber(partNumber).contentLength(length).contentMD5(md5), RequestBody.fromFile(file)).eTag();
    }

    /** Hashes the whole upload, stores it as a blob or adds the owner to the existing one, or discards it. */
    private BlobInfo complete(final Upload upload) throws IOException
    {
        final Path spool = upload.spool();
        final ResumableSha256 hash = upload.hash.copy();
        final String md5 = hashFile(spool, hash);
        final String actual = MediaIds.blobId(hash.digest());
        if (!MessageDigest.isEqual(
            actual.getBytes(StandardCharsets.US_ASCII), upload.sha256.getBytes(StandardCharsets.US_ASCII)))
        {
            removeUpload(upload, true);
            throw new MediaException(MediaException.Reason.HASH_MISMATCH,
                "upload " + upload.id + " declared SHA-256 " + upload.sha256 + " but its bytes hash to " + actual +
                    "; the upload is discarded");
        }
        final BlobInfo blob;
        synchronized (blobLock(actual))
        {
            blob = record(upload, () -> storeBytes(upload, spool, md5), actual);
        }
        removeUpload(upload, false);
        return blob;
    }

    /**
     * Stores the verified bytes and records the blob, or adds the uploader to the blob that is there: a loop of
     * reads and conditional writes of the record, as another store may be doing the same. Holds the blob's lock.
     */
    private BlobInfo record(final Upload upload, final BytesWriter bytes, final String blobId)
        throws IOException
    {
        final String key = RECORDS_PREFIX + blobId;
        final String what = "record of blob " + blobId;
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
        {
            final Versioned<BlobRecord> current = readRecord(blobId);
            BlobRecord record = current.value();
            if (record != null && record.deleting())
            {
                // A deletion under way here or on another store, or one a crash interrupted: the owner must not
                // join a record about to be removed. Finish the deletion, then store the bytes anew.
                finishDeletion(blobId, record);
                continue;
            }
            if (record == null)
            {
                // Again after a lost race, as the blob that won may have been deleted since: a completed
                // multipart upload is then found gone, and the upload is discarded.
                bytes.write();
                record = new BlobRecord(upload.size, upload.contentType, Set.of(upload.ownerId), clock.instant(),
                    null, false);
                if (putIfUnchanged(key, null, recordText(record), what) == null)
                {
                    continue;
                }
            }
            else
            {
                abortQuietly(upload);
                if (!record.owners().contains(upload.ownerId))
                {
                    record = record.withOwner(upload.ownerId);
                    if (putIfUnchanged(key, current.etag(), recordText(record), what) == null)
                    {
                        continue;
                    }
                }
            }
            addUsage(upload.ownerId, blobId, record.size());
            return record.toBlobInfo(blobId);
        }
        throw contended(what);
    }

    /** Writes the verified bytes at {@code blobs/<sha256>}: the last part and the multipart completion, or one PUT. */
    private void storeBytes(final Upload upload, final Path spool, final String md5) throws IOException
    {
        if (upload.multipartId == null)
        {
            try
            {
                s3.putObject(b -> b.bucket(bucket).key(upload.key()).contentType(upload.contentType)
                    .contentLength(upload.size).contentMD5(md5), RequestBody.fromFile(spool));
            }
            catch (final SdkException e)
            {
                throw storage("storing blob " + upload.sha256 + " from upload " + upload.id, e);
            }
            return;
        }
        final List<CompletedPart> parts = new ArrayList<>();
        for (int i = 0; i < upload.etags.size(); i++)
        {
            parts.add(CompletedPart.builder().partNumber(i + 1).eTag(upload.etags.get(i)).build());
        }
        try
        {
            final int last = upload.etags.size() + 1;
            parts.add(CompletedPart.builder().partNumber(last).eTag(uploadPart(upload, last, spool, md5)).build());
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(upload.key()).uploadId(upload.multipartId)
                .multipartUpload(m -> m.parts(parts)));
        }
        catch (final SdkException e)
        {
            if (!isNoSuchUpload(e))
            {
                throw storage("completing the multipart upload of upload " + upload.id, e);
            }
            // A completion that got through before a crash: the multipart upload is gone and the blob is there.
            final HeadObjectResponse head = headObject(upload.key());
            if (head == null || head.contentLength() == null || head.contentLength() != upload.size)
            {
                throw partsGone(upload, e);
            }
        }
    }

    /**
     * Removes a blob marked deleting: its bytes, its owners' usage of it, then its record if it is still marked.
     * Any store may run this for any marked record, at once with others: each step may run twice. Holds the blob's
     * lock.
     */
    private void finishDeletion(final String blobId, final BlobRecord marked)
    {
        deleteObject(BLOBS_PREFIX + blobId);
        for (final long owner : marked.owners())
        {
            removeUsage(owner, blobId);
        }
        final BlobRecord left = updateRecord(blobId,
            current -> current != null && current.deleting() ? null : current).value();
        if (left != null)
        {
            // Another store finished this deletion and stored the blob anew before this one got here: the usage
            // just removed may be of its owners, so it is put back.
            for (final long owner : left.owners())
            {
                addUsage(owner, blobId, left.size());
            }
        }
    }

    /**
     * Changes a blob's record: reads it with its ETag, applies the change, and writes the result back only if
     * the record is still the one read (If-Match, or If-None-Match when there was none); a failed condition means
     * another store changed it, so the record is read again and the change applied to what is there now.
     *
     * @param change the new record from the current one (null when there is none): the same object for no
     *               change, null to remove the record. It may be applied several times.
     * @return the record as written, or as it was when the change left it alone.
     * @throws MediaException {@link MediaException.Reason#STORAGE} after {@link #MAX_ATTEMPTS} failed conditions.
     */
    private Versioned<BlobRecord> updateRecord(final String blobId, final UnaryOperator<BlobRecord> change)
    {
        final String key = RECORDS_PREFIX + blobId;
        final String what = "record of blob " + blobId;
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
        {
            final Versioned<BlobRecord> current = readRecord(blobId);
            final BlobRecord next = change.apply(current.value());
            if (next == current.value())
            {
                return current;
            }
            if (next == null)
            {
                if (deleteIfUnchanged(key, current.etag(), what))
                {
                    return new Versioned<>(null, null);
                }
                continue;
            }
            final String etag = putIfUnchanged(key, current.etag(), recordText(next), what);
            if (etag != null)
            {
                return new Versioned<>(next, etag);
            }
        }
        throw contended(what);
    }

    private void addUsage(final long ownerId, final String blobId, final long size)
    {
        updateUsage(ownerId, usage ->
        {
            if (Long.valueOf(size).equals(usage.get(blobId)))
            {
                return usage;
            }
            final TreeMap<String, Long> more = new TreeMap<>(usage);
            more.put(blobId, size);
            return more;
        });
    }

    private void removeUsage(final long ownerId, final String blobId)
    {
        updateUsage(ownerId, usage ->
        {
            if (!usage.containsKey(blobId))
            {
                return usage;
            }
            final TreeMap<String, Long> less = new TreeMap<>(usage);
            less.remove(blobId);
            return less;
        });
    }

    /**
     * Changes an owner's usage record as {@link #updateRecord} changes a blob's; an empty usage is removed.
     *
     * @param change the new usage from the current one (empty when there is none), or the same map for none.
     */
    private void updateUsage(final long ownerId, final UnaryOperator<TreeMap<String, Long>> change)
    {
        final String key = USAGE_PREFIX + ownerId;
        final String what = "usage of owner " + ownerId;
        synchronized (ownerLock(ownerId))
        {
            for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
            {
                final Versioned<TreeMap<String, Long>> current = readUsage(ownerId);
                final TreeMap<String, Long> next = change.apply(current.value());
                if (next == current.value() || (next.isEmpty() && current.etag() == null))
                {
                    return;
                }
                final boolean written = next.isEmpty()
                    ? deleteIfUnchanged(key, current.etag(), what)
                    : putIfUnchanged(key, current.etag(), usageText(next), what) != null;
                if (written)
                {
                    return;
                }
            }
        }
        throw contended(what);
    }

    private Versioned<TreeMap<String, Long>> readUsage(final long ownerId)
    {
        final TreeMap<String, Long> usage = new TreeMap<>();
        final Versioned<Properties> read = readProperties(USAGE_PREFIX + ownerId, "usage of owner " + ownerId);
        if (read.value() == null)
        {
            return new Versioned<>(usage, null);
        }
        try
        {
            for (final String key : read.value().stringPropertyNames())
            {
                if (MediaIds.isBlobId(key))
                {
                    usage.put(key, Long.parseLong(read.value().getProperty(key)));
                }
            }
        }
        catch (final NumberFormatException e)
        {
            throw new MediaException(MediaException.Reason.STORAGE, "the usage of owner " + ownerId +
                " in bucket " + bucket + " is damaged: " + e.getMessage(), e);
        }
        return new Versioned<>(usage, read.etag());
    }

    private static String usageText(final TreeMap<String, Long> usage)
    {
        final StringBuilder text = new StringBuilder(usage.size() * 80).append("xin-media-usage=1\n");
        for (final Map.Entry<String, Long> entry : usage.entrySet())
        {
            text.append(entry.getKey()).append('=').append(entry.getValue()).append('\n');
        }
        return text.toString();
    }

    /** @return the blob's record and its ETag; both null when there is none. */
    private Versioned<BlobRecord> readRecord(final String blobId)
    {
        final Versioned<Properties> read = readProperties(RECORDS_PREFIX + blobId, "record of blob " + blobId);
        final Properties properties = read.value();
        if (properties == null)
        {
            return new Versioned<>(null, null);
        }
        try
        {
            if (!"1".equals(properties.getProperty("xin-media-blob")))
            {
                throw new IllegalArgumentException("not a blob record");
            }
            final Set<Long> owners = new TreeSet<>();
            final String ownerList = properties.getProperty("owners", "");
            if (!ownerList.isEmpty())
            {
                for (final String owner : ownerList.split(","))
                {
                    owners.add(Long.parseLong(owner));
                }
            }
            final String lastReference = properties.getProperty("lastReferenceAt");
            return new Versioned<>(new BlobRecord(
                Long.parseLong(properties.getProperty("size")),
                MediaIds.requireContentType(properties.getProperty("contentType")),
                owners,
                Instant.ofEpochMilli(Long.parseLong(properties.getProperty("createdAt"))),
                lastReference == null ? null : Instant.ofEpochMilli(Long.parseLong(lastReference)),
                "true".equals(properties.getProperty("deleting"))), read.etag());
        }
        catch (final RuntimeException e)
        {
            throw new MediaException(MediaException.Reason.STORAGE, "the record of blob " + blobId +
                " in bucket " + bucket + " is damaged: " + e.getMessage(), e);
        }
    }

    private static String recordText(final BlobRecord record)
    {
        final StringBuilder text = new StringBuilder(256)
            .append("xin-media-blob=1\n")
            .append("size=").append(record.size()).append('\n')
            .append("contentType=").append(record.contentType()).append('\n')
            .append("owners=");
        boolean first = true;
        for (final long owner : new TreeSet<>(record.owners()))
        {
            if (!first)
            {
                text.append(',');
            }
            text.append(owner);
            first = false;
        }
        text.append('\n').append("createdAt=").append(record.createdAt().toEpochMilli()).append('\n');
        if (record.lastReferenceAt() != null)
        {
            text.append("lastReferenceAt=").append(record.lastReferenceAt().toEpochMilli()).append('\n');
        }
        if (record.deleting())
        {
            text.append("deleting=true\n");
        }
        return text.toString();
    }

    /** @return the object's text as properties and its ETag; both null if there is no such object. */
    private Versioned<Properties> readProperties(final String key, final String what)
    {
        final ResponseBytes<GetObjectResponse> bytes;
        try
        {
            bytes = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
        }
        catch (final NoSuchKeyException e)
        {
            return new Versioned<>(null, null);
        }
        catch (final SdkException e)
        {
            throw storage("reading the " + what, e);
        }
        final Properties properties = new Properties();
        try
        {
            properties.load(new StringReader(bytes.asString(StandardCharsets.UTF_8)));
        }
        catch (final IOException | IllegalArgumentException e)
        {
            throw new MediaException(MediaException.Reason.STORAGE, "the " + what + " is damaged", e);
        }
        // Never null from S3; a store that sends none gets If-Match on "", which fails, and the change gives up.
        final String etag = bytes.response().eTag();
        return new Versioned<>(properties, etag == null ? "" : etag);
    }

    /**
     * Writes a record only if it is still the version read: If-Match on its ETag, or If-None-Match {@code *}
     * when there was none.
     *
     * @param etag the ETag read, or null if there was no record.
     * @return the new version's ETag ("" if the store sends none), or null if the condition failed.
     */
    private String putIfUnchanged(final String key, final String etag, final String text, final String what)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final String md5 = base64Md5(bytes);
        final PutObjectResponse response;
        try
        {
            response = s3.putObject(b ->
            {
                b.bucket(bucket).key(key).contentType(RECORD_TYPE).contentMD5(md5);
                if (etag == null)
                {
                    b.ifNoneMatch("*");
                }
                else
                {
                    b.ifMatch(etag);
                }
            }, RequestBody.fromBytes(bytes));
        }
        catch (final SdkException e)
        {
            if (isConflict(e))
            {
                return null;
            }
            throw storage("writing the " + what, e);
        }
        return response.eTag() == null ? "" : response.eTag();
    }

    /**
     * Deletes a record only if it is still the version read (If-Match on its ETag).
     *
     * @return true if it was deleted, false if the condition failed or it was gone already.
     */
    private boolean deleteIfUnchanged(final String key, final String etag, final String what)
    {
        try
        {
            s3.deleteObject(b -> b.bucket(bucket).key(key).ifMatch(etag));
            return true;
        }
        catch (final SdkException e)
        {
            if (isConflict(e))
            {
                return false;
            }
            throw storage("deleting the " + what, e);
        }
    }

    /**
     * @return whether a conditional request failed because the object is not the version named: 412, 409 (a
     *         conflicting write in flight), or 404 (If-Match on an object deleted since it was read).
     */
    private static boolean isConflict(final SdkException e)
    {
        if (!(e instanceof S3Exception s))
        {
            return false;
        }
        if (s.statusCode() == 412 || s.statusCode() == 409)
        {
            return true;
        }
        return s.statusCode() == 404 && (s.awsErrorDetails() == null ||
            !"NoSuchBucket".equals(s.awsErrorDetails().errorCode()));
    }

    private MediaException contended(final String what)
    {
        return new MediaException(MediaException.Reason.STORAGE, "the " + what + " in bucket " + bucket +
            " kept changing under " + MAX_ATTEMPTS + " attempts to change it");
    }

    private void deleteObject(final String key)
    {
        try
        {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
        }
        catch (final NoSuchKeyException e)
        {
            // Some stores answer 404 where S3 answers 204: gone either way.
        }
        catch (final SdkException e)
        {
            throw storage("deleting " + key, e);
        }
    }

    /** @return the object's metadata, or null if there is no such object. */
    private HeadObjectResponse headObject(final String key)
    {
        try
        {
            return s3.headObject(b -> b.bucket(bucket).key(key));
        }
        catch (final NoSuchKeyException e)
        {
            return null;
        }
        catch (final SdkException e)
        {
            throw storage("looking up " + key, e);
        }
    }

    /** Aborts the upload's multipart upload, if any; a failure is left to the bucket's lifecycle rule. */
    private void abortQuietly(final Upload upload)
    {
        if (upload.multipartId == null)
        {
            return;
        }
        try
        {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(upload.key()).uploadId(upload.multipartId));
        }
        catch (final SdkException ignored)
        {
            // Gone already, or unreachable: AbortIncompleteMultipartUpload removes what is left.
        }
    }

    /** Deletes a direct upload's bytes; a failure is left to the bucket's lifecycle rule on {@code incoming/}. */
    private void deleteIncomingQuietly(final Upload upload)
    {
        try
        {
            s3.deleteObject(b -> b.bucket(bucket).key(upload.incomingKey()));
        }
        catch (final SdkException ignored)
        {
            // Gone already, or unreachable: the lifecycle rule removes what is left.
        }
    }

    private void writeNewUpload(final Upload upload)
    {
        final Path tmp = spoolDir.resolve(upload.id + TMP_SUFFIX);
        try
        {
            Files.createDirectory(tmp);
            createEmpty(tmp.resolve(SPOOL_PREFIX + 0));
            DurableFiles.writeForced(tmp.resolve(STATE_FILE), stateText(upload, upload.etags, upload.hash, null));
            DurableFiles.forceDirectory(tmp);
            Files.move(tmp, upload.dir, StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.forceDirectory(spoolDir);
        }
        catch (final IOException e)
        {
            DurableFiles.deleteTreeQuietly(tmp);
            throw storage("creating upload " + upload.id, e);
        }
    }

    /** Replaces the upload's state file: written aside, forced, renamed, its directory forced. */
    private void writeState(
        final Upload upload,
        final List<String> etags,
        final ResumableSha256 hash,
        final String multipartId) throws IOException
    {
        final Path tmp = upload.dir.resolve(STATE_FILE + TMP_SUFFIX);
        DurableFiles.writeForced(tmp, stateText(upload, etags, hash, multipartId));
        Files.move(tmp, upload.dir.resolve(STATE_FILE), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        DurableFiles.forceDirectory(upload.dir);
    }

    private static byte[] stateText(
        final Upload upload,
        final List<String> etags,
        final ResumableSha256 hash,
        final String multipartId)
    {
        final StringBuilder text = new StringBuilder(512)
            .append("owner=").append(upload.ownerId).append('\n')
            .append("size=").append(upload.size).append('\n')
            .append("contentType=").append(upload.contentType).append('\n')
            .append("sha256=").append(upload.sha256).append('\n')
            .append("createdAt=").append(upload.createdAt.toEpochMilli()).append('\n')
            .append("expiresAt=").append(upload.expiresAt.toEpochMilli()).append('\n')
            .append("partSize=").append(upload.partSize).append('\n');
        if (upload.direct)
        {
            text.append("direct=true\n");
        }
        if (multipartId != null)
        {
            text.append("multipart=").append(escape(multipartId)).append('\n');
        }
        text.append("parts=").append(etags.size()).append('\n');
        for (int i = 0; i < etags.size(); i++)
        {
            text.append("etag.").append(i + 1).append('=').append(escape(etags.get(i))).append('\n');
        }
        text.append("hash=").append(hash.export()).append('\n');
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Upload readState(final String id, final Path dir) throws IOException
    {
        final Properties state = new Properties();
        state.load(new StringReader(Files.readString(dir.resolve(STATE_FILE), StandardCharsets.UTF_8)));
        final Upload upload = new Upload(
            id,
            Long.parseLong(state.getProperty("owner")),
            Long.parseLong(state.getProperty("size")),
            MediaIds.requireContentType(state.getProperty("contentType")),
            MediaIds.requireBlobId(state.getProperty("sha256")),
            Instant.ofEpochMilli(Long.parseLong(state.getProperty("createdAt"))),
            Instant.ofEpochMilli(Long.parseLong(state.getProperty("expiresAt"))),
            Long.parseLong(state.getProperty("partSize")),
            dir,
            "true".equals(state.getProperty("direct")));
        upload.multipartId = state.getProperty("multipart");
        final int parts = Integer.parseInt(state.getProperty("parts"));
        final List<String> etags = new ArrayList<>(parts);
        for (int i = 1; i <= parts; i++)
        {
            final String etag = state.getProperty("etag." + i);
            if (etag == null)
            {
                throw new IOException("upload " + id + " has no ETag for part " + i);
            }
            etags.add(etag);
        }
        upload.etags = etags;
        upload.hash = ResumableSha256.restore(state.getProperty("hash"));
        if (upload.hash.length() != upload.partsBytes() || (parts > 0 && upload.multipartId == null))
        {
            throw new IOException("upload " + id + " has an inconsistent state");
        }
        return upload;
    }

    /** An ETag or an upload id for a properties file: ETags are quoted and may, in theory, hold anything. */
    private static String escape(final String value)
    {
        final StringBuilder out = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '\\' || c == '=' || c == ':' || c == '#' || c == '!')
            {
                out.append(String.format("\\u%04x", (int)c));
            }
            else
            {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Reads a spool file once: on into the hash, and into an MD5 for the part's Content-MD5. The write flag lets
     * the force make the bytes durable before they leave for the bucket.
     *
     * @return the file's MD5 in base64.
     */
    private static String hashFile(final Path file, final ResumableSha256 hash) throws IOException
    {
        final MessageDigest md5 = md5();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER_BYTES);
            while (channel.read(buffer) >= 0)
            {
                buffer.flip();
                hash.update(buffer.array(), 0, buffer.limit());
                md5.update(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
            channel.force(true);
        }
        return Base64.getEncoder().encodeToString(md5.digest());
    }

    private static String base64Md5(final byte[] bytes)
    {
        return Base64.getEncoder().encodeToString(md5().digest(bytes));
    }

    private static MessageDigest md5()
    {
        try
        {
            return MessageDigest.getInstance("MD5");
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new IllegalStateException("every Java platform has MD5", e);
        }
    }

    /** Removes an upload's files and entry, aborting its multipart upload if asked. Holds the upload's monitor. */
    private void removeUpload(final Upload upload, final boolean abort)
    {
        upload.gone = true;
        uploads.remove(upload.id, upload);
        if (abort)
        {
            abortQuietly(upload);
            if (upload.direct)
            {
                deleteIncomingQuietly(upload);
            }
        }
        try
        {
            DurableFiles.deleteTree(upload.dir);
            DurableFiles.forceDirectory(spoolDir);
        }
        catch (final IOException e)
        {
            throw storage("removing upload " + upload.id, e);
        }
    }

    /** Deletes the spool files the state no longer names. */
    private static void deleteStaleSpools(final Upload upload) throws IOException
    {
        final Path current = upload.spool();
        try (Stream<Path> files = Files.list(upload.dir))
        {
            for (final Path file : files.toList())
            {
                if (file.getFileName().toString().startsWith(SPOOL_PREFIX) && !file.equals(current))
                {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    private Upload find(final String uploadId)
    {
        checkOpen();
        final Upload upload = uploads.get(MediaIds.requireUploadId(uploadId));
        if (upload == null)
        {
            throw Uploads.notFound(uploadId);
        }
        return upload;
    }

    private static void requireNotGone(final Upload upload)
    {
        if (upload.gone)
        {
            throw Uploads.notFound(upload.id);
        }
    }

    private void requireWritable(final Upload upload)
    {
        requireNotGone(upload);
        if (upload.direct)
        {
            throw Uploads.invalid("upload " + upload.id + " takes its bytes by a PUT to the object store, not " +
                "by appending");
        }
        Uploads.requireNotExpired(upload, clock.instant());
    }

    private static long offsetOf(final Upload upload)
    {
        try
        {
            return upload.partsBytes() + Files.size(upload.spool());
        }
        catch (final IOException e)
        {
            throw storage("reading the offset of upload " + upload.id, e);
        }
    }

    private static MediaException pastEnd(final String blobId, final ByteRange range, final String end)
    {
        return new MediaException(MediaException.Reason.INVALID_RANGE,
            "range " + range.first() + "-" + range.last() + " goes past the end of blob " + blobId + " (" + end +
                ")");
    }

    /** The multipart upload is gone from the bucket (a lifecycle rule, a hand): the upload cannot finish. */
    private MediaException partsGone(final Upload upload, final Exception cause)
    {
        removeUpload(upload, false);
        return new MediaException(MediaException.Reason.NOT_FOUND, "the parts of upload " + upload.id +
            " are no longer in bucket " + bucket + "; the upload is discarded", cause);
    }

    private static boolean isNoSuchUpload(final SdkException e)
    {
        return e instanceof NoSuchUploadException || (e instanceof S3Exception s && s.awsErrorDetails() != null &&
            "NoSuchUpload".equals(s.awsErrorDetails().errorCode()));
    }

    private Object blobLock(final String blobId)
    {
        return blobLocks[Integer.parseInt(blobId.substring(0, 2), 16) % LOCK_STRIPES];
    }

    private Object ownerLock(final long ownerId)
    {
        return ownerLocks[Math.floorMod(Long.hashCode(ownerId) * 0x9E3779B9, LOCK_STRIPES)];
    }

    private static Object[] newLocks()
    {
        final Object[] locks = new Object[LOCK_STRIPES];
        for (int i = 0; i < locks.length; i++)
        {
            locks[i] = new Object();
        }
        return locks;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new MediaException(MediaException.Reason.STORAGE, "media store is closed: " + bucket);
        }
    }

    private static void createEmpty(final Path file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
    }

    private static MediaException storage(final String operation, final Exception cause)
    {
        return new MediaException(MediaException.Reason.STORAGE, operation + " failed: " + cause.getMessage(), cause);
    }

    /** The bytes of a ranged GET; closed early, it aborts the request instead of draining the response. */
    private static final class RangeStream extends FilterInputStream
    {
        private final ResponseInputStream<GetObjectResponse> response;
        private long remaining;

        RangeStream(final ResponseInputStream<GetObjectResponse> response, final long length)
        {
            super(response);
            this.response = response;
            this.remaining = length;
        }

        @Override
        public int read() throws IOException
        {
            final int b = super.read();
            if (b >= 0)
            {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(final byte[] bytes, final int offset, final int length) throws IOException
        {
            final int n = super.read(bytes, offset, length);
            if (n > 0)
            {
                remaining -= n;
            }
            return n;
        }

        @Override
        public long skip(final long n) throws IOException
        {
            final long skipped = super.skip(n);
            remaining -= skipped;
            return skipped;
        }

        @Override
        public boolean markSupported()
        {
            return false;
        }

        @Override
        public void close() throws IOException
        {
            if (remaining > 0)
            {
                response.abort();
            }
            super.close();
        }
    }
}
