package io.xin.media;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A {@link MediaStore} on the local filesystem, the embedded default. Under its root directory:
 * <pre>
 *   uploads/&lt;upload id&gt;/data          the bytes received so far; its length is the upload's offset
 *   uploads/&lt;upload id&gt;/meta          owner, size, content type, SHA-256, creation and expiry (properties)
 *   blobs/&lt;2 hex&gt;/&lt;sha256 hex&gt;        a completed blob, named by the SHA-256 of its bytes
 *   blobs/&lt;2 hex&gt;/&lt;sha256 hex&gt;.meta   its size, content type, owners, creation and last reference
 *                                     time (properties)
 *   lock                               held while a store has the directory open
 * </pre>
 * Crash safety: an upload's directory is written under a temporary name and renamed into place; each chunk is
 * forced to disk before its new offset is reported; a blob's record is written to a temporary file, forced and
 * renamed, and the finished upload's data file (already forced) is then renamed to the blob's name, so a blob is
 * either absent or whole. Every rename is followed by a force of its directory. {@link #open} removes temporary
 * leftovers and completes an upload whose bytes were all received before a crash. A {@link #touch} rewrites the
 * blob's record the same way before it returns.
 * <p>
 * Accounting: {@link #open} reads every blob record into memory (size, owners, reference time), so
 * {@link #usage} and {@link #unreferencedSince} answer without touching the disk; every change to a record
 * changes that index too, under the blob lock, after the record is on disk.
 * <p>
 * Dedupe: the blob of a completed upload whose bytes already exist is not written again; the uploader is added to
 * the existing blob's owners (and its content type stays the first one's), and the completion counts as a
 * reference: the blob's reference time moves to now, so a blob its new owner is about to send is not collected
 * for an old age it had before. This works for plaintext only: end-to-end
 * encrypted files arrive as ciphertext under a key per file, so equal photos are different blobs.
 * <p>
 * Threading: any thread. Operations on one upload are serialized on it; completions and blob changes are
 * serialized on the store's blob lock; reads of blobs take no lock. Only one store may open a directory at a time
 * (the {@code lock} file); a second open fails.
 */
public final class LocalMediaStore implements MediaStore
{
    static final String UPLOADS_DIR = "uploads";
    static final String BLOBS_DIR = "blobs";
    static final String DATA_FILE = "data";
    static final String META_FILE = "meta";
    static final String BLOB_META_SUFFIX = ".meta";
    static final String TMP_SUFFIX = ".tmp";
    private static final String LOCK_FILE = "lock";
    private static final int COPY_BUFFER_BYTES = 64 * 1024;

    private final Path root;
    private final Path uploadsDir;
    private final Path blobsDir;
    private final MediaLimits limits;
    private final Clock clock;
    /** Held from open to close so a second store cannot share the directory. */
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Uploads in progress, by id; an entry leaves the map under its own monitor, with {@link Upload#gone} set. */
    private final ConcurrentHashMap<String, Upload> uploads = new ConcurrentHashMap<>();
    /** Serializes upload creation, so the per-owner count and the insert are one step. */
    private final Object createLock = new Object();
    /** Serializes every change to blobs and their records, and guards the three index maps below. */
    private final Object blobLock = new Object();
    /** Every stored blob by id, as its record says. Guarded by {@link #blobLock}; loaded by {@link #open}. */
    private final Map<String, BlobEntry> blobIndex = new HashMap<>();
    /** The same entries, oldest reference time first. Guarded by {@link #blobLock}. */
    private final TreeSet<BlobEntry> byReference = new TreeSet<>(BlobEntry.OLDEST_FIRST);
    /** The bytes of the blobs each owner owns (one owner counts a shared blob whole). Guarded by blobLock. */
    private final Map<Long, Long> ownedBytes = new HashMap<>();
    private volatile boolean closed;

    /** An upload in progress. Its fixed fields are read by any thread; {@link #gone} under its monitor. */
    private static final class Upload implements Uploads.Pending
    {
        final String id;
        final long ownerId;
        final long size;
        final String contentType;
        final String sha256;
        final Instant createdAt;
        final Instant expiresAt;
        final Path dir;
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
            final Path dir)
        {
            this.id = id;
            this.ownerId = ownerId;
            this.size = size;
            this.contentType = contentType;
            this.sha256 = sha256;
            this.createdAt = createdAt;
            this.expiresAt = expiresAt;
            this.dir = dir;
        }

        Path data()
        {
            return dir.resolve(DATA_FILE);
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

    /**
     * A stored blob as the in-memory index has it. Its reference time is its last reference or, if later or
     * never referenced, its creation. Changed only under the blob lock, and only while out of
     * {@link #byReference}, whose order depends on it.
     */
    private static final class BlobEntry
    {
        static final Comparator<BlobEntry> OLDEST_FIRST =
            Comparator.comparingLong((BlobEntry e) -> e.referencedAtMillis).thenComparing(e -> e.id);

        final String id;
        final long size;
        Set<Long> owners;
        long referencedAtMillis;

        BlobEntry(final String id, final long size, final Set<Long> owners, final long referencedAtMillis)
        {
            this.id = id;
            this.size = size;
            this.owners = Set.copyOf(owners);
            this.referencedAtMillis = referencedAtMillis;
        }
    }

    /**
     * A blob's record as it is on disk.
     *
     * @param info         the blob.
     * @param referencedAt its last reference, or null if never referenced after its creation.
     */
    private record BlobRecord(BlobInfo info, Instant referencedAt)
    {
        /** @return the time the collector goes by: the last reference, or the creation if that is later. */
        long referenceMillis()
        {
            final long created = info.createdAt().toEpochMilli();
            return referencedAt == null ? created : Math.max(created, referencedAt.toEpochMilli());
        }
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

    private LocalMediaStore(
        final Path root,
        final MediaLimits limits,
        final Clock clock,
        final FileChannel lockChannel,
        final FileLock lock)
    {
        this.root = root;
        this.uploadsDir = root.resolve(UPLOADS_DIR);
        this.blobsDir = root.resolve(BLOBS_DIR);
        this.limits = limits;
        this.clock = clock;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens a store on a directory, creating it if missing, and recovers what a crash left: temporary files are
     * removed, uploads in progress are loaded, and an upload whose bytes were all received is completed (or
     * discarded if they do not match its hash).
     *
     * @param root   the directory.
     * @param limits the limits to enforce.
     * @param clock  the time for expiries and records; tests pass one they move.
     * @return the open store.
     * @throws MediaException ({@link MediaException.Reason#STORAGE}) if the directory cannot be used or another
     *                        store has it open.
     */
    public static LocalMediaStore open(final Path root, final MediaLimits limits, final Clock clock)
    {
        if (root == null || limits == null || clock == null)
        {
            throw new IllegalArgumentException("root, limits and clock are required");
        }
        FileChannel lockChannel = null;
        try
        {
            Files.createDirectories(root.resolve(UPLOADS_DIR));
            Files.createDirectories(root.resolve(BLOBS_DIR));
            lockChannel = FileChannel.open(
                root.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try
            {
                lock = lockChannel.tryLock();
            }
            catch (final OverlappingFileLockException e)
            {
                lock = null;
            }
            if (lock == null)
            {
                throw new MediaException(MediaException.Reason.STORAGE, "media store already open: " + root);
            }
            final LocalMediaStore store = new LocalMediaStore(root, limits, clock, lockChannel, lock);
            store.recover();
            return store;
        }
        catch (final IOException e)
        {
            DurableFiles.closeQuietly(lockChannel);
            throw new MediaException(MediaException.Reason.STORAGE, "opening media store " + root + " failed", e);
        }
        catch (final RuntimeException e)
        {
            DurableFiles.closeQuietly(lockChannel);
            throw e;
        }
    }

    /**
     * @return the root directory.
     */
    public Path root()
    {
        return root;
    }

    @Override
    public String createUpload(final UploadRequest request)
    {
        checkOpen();
        final Instant now = clock.instant();
        final UploadRequest checked = Uploads.checkRequest(request, now, limits);
        synchronized (createLock)
        {
            Uploads.requireRoomFor(uploads.values(), checked.ownerId(), now, limits);
            String id = MediaIds.newUploadId();
            while (uploads.containsKey(id) || Files.exists(uploadsDir.resolve(id)))
            {
                id = MediaIds.newUploadId();
            }
            final Upload upload = new Upload(id, checked.ownerId(), checked.size(), checked.contentType(),
                checked.sha256(), now, checked.expiresAt(), uploadsDir.resolve(id));
            writeNewUpload(upload);
            uploads.put(id, upload);
            return id;
        }
    }

    @Override
    public long offset(final String uploadId)
    {
        final Upload upload = find(uploadId);
        synchronized (upload)
        {
            requireNotGone(upload);
            return dataLength(upload);
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
            return Optional.of(Uploads.status(upload, dataLength(upload)));
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
            final long length;
            try (FileChannel channel = FileChannel.open(upload.data(), StandardOpenOption.WRITE))
            {
                final long current = channel.size();
                Uploads.requireOffset(upload, offset, current);
                if (chunk.remaining() > upload.size - current)
                {
                    throw Uploads.tooLarge(upload, current + chunk.remaining());
                }
                long position = current;
                while (chunk.hasRemaining())
                {
                    position += channel.write(chunk, position);
                }
                channel.force(false);
                length = position;
            }
            catch (final IOException e)
            {
                throw storage("appending to upload " + uploadId, e);
            }
            return finishIfComplete(upload, length);
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
            final long length;
            try (FileChannel channel = FileChannel.open(upload.data(), StandardOpenOption.WRITE))
            {
                final long current = channel.size();
                Uploads.requireOffset(upload, offset, current);
                length = copy(upload, chunk, channel, current);
            }
            catch (final StreamFailed e)
            {
                throw (IOException)e.getCause();
            }
            catch (final IOException e)
            {
                throw storage("appending to upload " + uploadId, e);
            }
            return finishIfComplete(upload, length);
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
            removeUpload(upload);
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
        if (!Files.isRegularFile(blobPath(blobId)))
        {
            return Optional.empty();
        }
        try
        {
            return Optional.of(readBlobRecord(blobId).info());
        }
        catch (final NoSuchFileException e)
        {
            // Deleted between the two looks.
            return Optional.empty();
        }
        catch (final IOException e)
        {
            throw storage("reading the record of blob " + blobId, e);
        }
    }

    @Override
    public InputStream read(final String blobId, final ByteRange range)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        if (range == null)
        {
            throw new MediaException(MediaException.Reason.INVALID_RANGE, "range is null");
        }
        final FileChannel channel;
        try
        {
            channel = FileChannel.open(blobPath(blobId), StandardOpenOption.READ);
        }
        catch (final NoSuchFileException e)
        {
            throw new MediaException(MediaException.Reason.NOT_FOUND, "no blob " + blobId);
        }
        catch (final IOException e)
        {
            throw storage("opening blob " + blobId, e);
        }
        try
        {
            final long size = channel.size();
            if (range.last() >= size)
            {
                throw new MediaException(MediaException.Reason.INVALID_RANGE,
                    "range " + range.first() + "-" + range.last() + " goes past the end of blob " + blobId + " (" +
                        size + " bytes)");
            }
            return new RangeInputStream(channel, range.first(), range.length());
        }
        catch (final IOException e)
        {
            DurableFiles.closeQuietly(channel);
            throw storage("reading blob " + blobId, e);
        }
        catch (final RuntimeException e)
        {
            DurableFiles.closeQuietly(channel);
            throw e;
        }
    }

    @Override
    public boolean deleteBlob(final String blobId)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        synchronized (blobLock)
        {
            try
            {
                // The blob before its record: stat never finds bytes without an owner list.
                final boolean existed = Files.deleteIfExists(blobPath(blobId));
                Files.deleteIfExists(blobRecordPath(blobId));
                DurableFiles.forceDirectory(blobPath(blobId).getParent());
                unindex(blobId);
                return existed;
            }
            catch (final IOException e)
            {
                throw storage("deleting blob " + blobId, e);
            }
        }
    }

    @Override
    public boolean deleteIfUnreferencedSince(final String blobId, final Instant before)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        if (before == null)
        {
            throw Uploads.invalid("time is null");
        }
        synchronized (blobLock)
        {
            final BlobEntry entry = blobIndex.get(blobId);
            if (entry == null || !Instant.ofEpochMilli(entry.referencedAtMillis).isBefore(before))
            {
                return false;
            }
            return deleteBlob(blobId);
        }
    }

    @Override
    public long usage(final long ownerId)
    {
        checkOpen();
        // Uploads before blobs: a completion adds the blob before it removes the upload, so a usage that races one
        // counts it twice at worst, never not at all.
        final long bytes = Uploads.bytesInProgress(uploads.values(), ownerId, clock.instant());
        synchronized (blobLock)
        {
            return bytes + ownedBytes.getOrDefault(ownerId, 0L);
        }
    }

    @Override
    public boolean touch(final String blobId, final Instant at)
    {
        checkOpen();
        MediaIds.requireBlobId(blobId);
        if (at == null)
        {
            throw Uploads.invalid("reference time is null");
        }
        synchronized (blobLock)
        {
            final BlobEntry entry = blobIndex.get(blobId);
            if (entry == null)
            {
                return false;
            }
            if (at.toEpochMilli() > entry.referencedAtMillis)
            {
                try
                {
                    final BlobRecord record = readBlobRecord(blobId);
                    final Instant referencedAt = Instant.ofEpochMilli(at.toEpochMilli());
                    writeBlobRecord(record.info(), referencedAt);
                    index(new BlobRecord(record.info(), referencedAt));
                }
                catch (final IOException e)
                {
                    throw storage("recording a reference to blob " + blobId, e);
                }
            }
            return true;
        }
    }

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
            throw Uploads.invalid("limit is negative: " + limit);
        }
        final List<String> ids = new ArrayList<>(Math.min(limit, 1024));
        synchronized (blobLock)
        {
            for (final BlobEntry entry : byReference)
            {
                if (ids.size() >= limit || !Instant.ofEpochMilli(entry.referencedAtMillis).isBefore(before))
                {
                    break;
                }
                ids.add(entry.id);
            }
        }
        return ids;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
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
        synchronized (blobLock)
        {
            loadBlobIndex();
        }
        final List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(uploadsDir))
        {
            dir.forEach(entries::add);
        }
        for (final Path entry : entries)
        {
            final String name = entry.getFileName().toString();
            if (!MediaIds.isUploadId(name) || !Files.isDirectory(entry))
            {
                // A creation that never reached its rename.
                DurableFiles.deleteTree(entry);
                continue;
            }
            final Upload upload;
            try
            {
                upload = readUploadRecord(name, entry);
            }
            catch (final IOException | RuntimeException e)
            {
                DurableFiles.deleteTree(entry);
                continue;
            }
            if (!Files.exists(upload.data()))
            {
                // Its data became a blob; the crash came before the directory was removed.
                DurableFiles.deleteTree(entry);
                continue;
            }
            uploads.put(upload.id, upload);
            final long length = Files.size(upload.data());
            if (length > upload.size)
            {
                removeUpload(upload);
            }
            else if (length == upload.size)
            {
                synchronized (upload)
                {
                    try
                    {
                        complete(upload);
                    }
                    catch (final MediaException e)
                    {
                        if (e.reason() != MediaException.Reason.HASH_MISMATCH)
                        {
                            throw e;
                        }
                    }
                }
            }
        }
        DurableFiles.forceDirectory(uploadsDir);
        try (Stream<Path> files = Files.walk(blobsDir, 2))
        {
            final List<Path> leftovers = files
                .filter(p -> p.getFileName().toString().endsWith(TMP_SUFFIX))
                .toList();
            for (final Path leftover : leftovers)
            {
                Files.deleteIfExists(leftover);
            }
        }
    }

    /**
     * Reads every blob record into the index, and removes records left without their blob (a deletion or a
     * completion cut short by a crash; the completion is redone from its upload). Holds the blob lock.
     */
    private void loadBlobIndex() throws IOException
    {
        final List<Path> fanOuts = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(blobsDir))
        {
            dir.forEach(fanOuts::add);
        }
        for (final Path fanOut : fanOuts)
        {
            if (!Files.isDirectory(fanOut))
            {
                continue;
            }
            final List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(fanOut))
            {
                dir.forEach(files::add);
            }
            boolean removed = false;
            for (final Path file : files)
            {
                final String name = file.getFileName().toString();
                if (!name.endsWith(BLOB_META_SUFFIX))
                {
                    continue;
                }
                final String blobId = name.substring(0, name.length() - BLOB_META_SUFFIX.length());
                if (!MediaIds.isBlobId(blobId) || !Files.isRegularFile(blobPath(blobId)))
                {
                    Files.deleteIfExists(file);
                    removed = true;
                    continue;
                }
                try
                {
                    index(readBlobRecord(blobId));
                }
                catch (final RuntimeException e)
                {
                    throw new IOException("unreadable blob record " + file + ": " + e, e);
                }
            }
            if (removed)
            {
                DurableFiles.forceDirectory(fanOut);
            }
        }
    }

    /** Puts a blob's record into the index, replacing what it had. Holds the blob lock. */
    private void index(final BlobRecord record)
    {
        final BlobInfo blob = record.info();
        unindex(blob.blobId());
        final BlobEntry entry = new BlobEntry(blob.blobId(), blob.size(), blob.owners(), record.referenceMillis());
        blobIndex.put(entry.id, entry);
        byReference.add(entry);
        for (final long owner : entry.owners)
        {
            ownedBytes.merge(owner, entry.size, Long::sum);
        }
    }

    /** Takes a blob out of the index, if it is there. Holds the blob lock. */
    private void unindex(final String blobId)
    {
        final BlobEntry entry = blobIndex.remove(blobId);
        if (entry == null)
        {
            return;
        }
        byReference.remove(entry);
        for (final long owner : entry.owners)
        {
            final long left = ownedBytes.getOrDefault(owner, 0L) - entry.size;
            if (left > 0)
            {
                ownedBytes.put(owner, left);
            }
            else
            {
                ownedBytes.remove(owner);
            }
        }
    }

    private long copy(final Upload upload, final InputStream in, final FileChannel channel, final long start)
        throws IOException, StreamFailed
    {
        final byte[] buffer = new byte[COPY_BUFFER_BYTES];
        long position = start;
        while (true)
        {
            // One byte more than the upload still takes, to notice a body that runs past its size.
            final int want = (int)Math.min(buffer.length, upload.size - position + 1);
            final int read;
            try
            {
                read = in.read(buffer, 0, want);
            }
            catch (final IOException e)
            {
                // The connection dropped: keep what arrived, so the client resumes from there.
                channel.force(false);
                throw new StreamFailed(e);
            }
            if (read < 0)
            {
                break;
            }
            if (read > upload.size - position)
            {
                channel.truncate(start);
                channel.force(false);
                throw Uploads.tooLarge(upload, position + read);
            }
            final ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, read);
            while (bytes.hasRemaining())
            {
                position += channel.write(bytes, position);
            }
        }
        channel.force(false);
        return position;
    }

    private AppendResult finishIfComplete(final Upload upload, final long length)
    {
        if (length < upload.size)
        {
            return new AppendResult(length, null);
        }
        return new AppendResult(length, complete(upload));
    }

    /** Hashes the finished upload and stores it as a blob, or discards it. Holds the upload's monitor. */
    private BlobInfo complete(final Upload upload)
    {
        final String actual;
        try
        {
            actual = sha256Hex(upload.data());
        }
        catch (final IOException e)
        {
            throw storage("hashing upload " + upload.id, e);
        }
        if (!MessageDigest.isEqual(
            actual.getBytes(StandardCharsets.US_ASCII), upload.sha256.getBytes(StandardCharsets.US_ASCII)))
        {
            removeUpload(upload);
            throw new MediaException(MediaException.Reason.HASH_MISMATCH,
                "upload " + upload.id + " declared SHA-256 " + upload.sha256 + " but its bytes hash to " + actual +
                    "; the upload is discarded");
        }
        final BlobInfo blob;
        synchronized (blobLock)
        {
            try
            {
                final Path blobPath = blobPath(actual);
                final Path fanOut = blobPath.getParent();
                if (!Files.isDirectory(fanOut))
                {
                    Files.createDirectories(fanOut);
                    DurableFiles.forceDirectory(blobsDir);
                }
                BlobRecord existing = null;
                if (Files.isRegularFile(blobPath))
                {
                    try
                    {
                        existing = readBlobRecord(actual);
                    }
                    catch (final NoSuchFileException e)
                    {
                        existing = null;
                    }
                }
                final BlobRecord record;
                if (existing != null)
                {
                    final BlobInfo old = existing.info();
                    final Set<Long> owners = new HashSet<>(old.owners());
                    owners.add(upload.ownerId);
                    blob = new BlobInfo(actual, old.size(), old.contentType(), owners, old.createdAt());
                    final long now = clock.instant().toEpochMilli();
                    // A new upload of old bytes is as fresh as a new blob: the collector counts from now.
                    record = new BlobRecord(blob, now > existing.referenceMillis() ? Instant.ofEpochMilli(now) :
                        existing.referencedAt());
                    if (!record.equals(existing))
                    {
                        writeBlobRecord(record.info(), record.referencedAt());
                    }
                    Files.delete(upload.data());
                }
                else
                {
                    // The record first, then the bytes under their name: a visible blob always has its owners.
                    blob = new BlobInfo(actual, upload.size, upload.contentType, Set.of(upload.ownerId),
                        Instant.ofEpochMilli(clock.instant().toEpochMilli()));
                    record = new BlobRecord(blob, null);
                    writeBlobRecord(blob, null);
                    Files.move(upload.data(), blobPath, StandardCopyOption.ATOMIC_MOVE);
                    DurableFiles.forceDirectory(fanOut);
                }
                index(record);
            }
            catch (final IOException e)
            {
                throw storage("storing blob " + actual + " from upload " + upload.id, e);
            }
        }
        removeUpload(upload);
        return blob;
    }

    private void writeNewUpload(final Upload upload)
    {
        final Path tmp = uploadsDir.resolve(upload.id + TMP_SUFFIX);
        try
        {
            Files.createDirectory(tmp);
            try (FileChannel data = FileChannel.open(tmp.resolve(DATA_FILE),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
            {
                data.force(true);
            }
            final Properties meta = new Properties();
            meta.setProperty("owner", Long.toString(upload.ownerId));
            meta.setProperty("size", Long.toString(upload.size));
            meta.setProperty("contentType", upload.contentType);
            meta.setProperty("sha256", upload.sha256);
            meta.setProperty("createdAt", Long.toString(upload.createdAt.toEpochMilli()));
            meta.setProperty("expiresAt", Long.toString(upload.expiresAt.toEpochMilli()));
            DurableFiles.writeForced(tmp.resolve(META_FILE), toBytes(meta));
            DurableFiles.forceDirectory(tmp);
            Files.move(tmp, upload.dir, StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.forceDirectory(uploadsDir);
        }
        catch (final IOException e)
        {
            DurableFiles.deleteTreeQuietly(tmp);
            throw storage("creating upload " + upload.id, e);
        }
    }

    private static Upload readUploadRecord(final String id, final Path dir) throws IOException
    {
        final Properties meta = fromBytes(Files.readAllBytes(dir.resolve(META_FILE)));
        return new Upload(
            id,
            Long.parseLong(meta.getProperty("owner")),
            Long.parseLong(meta.getProperty("size")),
            MediaIds.requireContentType(meta.getProperty("contentType")),
            MediaIds.requireBlobId(meta.getProperty("sha256")),
            Instant.ofEpochMilli(Long.parseLong(meta.getProperty("createdAt"))),
            Instant.ofEpochMilli(Long.parseLong(meta.getProperty("expiresAt"))),
            dir);
    }

    private void writeBlobRecord(final BlobInfo blob, final Instant referencedAt) throws IOException
    {
        final Properties meta = new Properties();
        meta.setProperty("size", Long.toString(blob.size()));
        meta.setProperty("contentType", blob.contentType());
        final StringBuilder owners = new StringBuilder();
        for (final long owner : new TreeSet<>(blob.owners()))
        {
            if (owners.length() > 0)
            {
                owners.append(',');
            }
            owners.append(owner);
        }
        meta.setProperty("owners", owners.toString());
        meta.setProperty("createdAt", Long.toString(blob.createdAt().toEpochMilli()));
        if (referencedAt != null)
        {
            meta.setProperty("referencedAt", Long.toString(referencedAt.toEpochMilli()));
        }
        final Path record = blobRecordPath(blob.blobId());
        final Path tmp = record.resolveSibling(record.getFileName() + TMP_SUFFIX);
        DurableFiles.writeForced(tmp, toBytes(meta));
        Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        DurableFiles.forceDirectory(record.getParent());
    }

    private BlobRecord readBlobRecord(final String blobId) throws IOException
    {
        final Properties meta = fromBytes(Files.readAllBytes(blobRecordPath(blobId)));
        final Set<Long> owners = new HashSet<>();
        final String ownerList = meta.getProperty("owners", "");
        if (!ownerList.isEmpty())
        {
            for (final String owner : ownerList.split(","))
            {
                owners.add(Long.parseLong(owner));
            }
        }
        final String referencedAt = meta.getProperty("referencedAt");
        return new BlobRecord(
            new BlobInfo(
                blobId,
                Long.parseLong(meta.getProperty("size")),
                meta.getProperty("contentType"),
                owners,
                Instant.ofEpochMilli(Long.parseLong(meta.getProperty("createdAt")))),
            referencedAt == null ? null : Instant.ofEpochMilli(Long.parseLong(referencedAt)));
    }

    /** Removes an upload's files and entry. Holds the upload's monitor. */
    private void removeUpload(final Upload upload)
    {
        upload.gone = true;
        uploads.remove(upload.id, upload);
        try
        {
            DurableFiles.deleteTree(upload.dir);
            DurableFiles.forceDirectory(uploadsDir);
        }
        catch (final IOException e)
        {
            throw storage("removing upload " + upload.id, e);
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
        Uploads.requireNotExpired(upload, clock.instant());
    }

    private static long dataLength(final Upload upload)
    {
        try
        {
            return Files.size(upload.data());
        }
        catch (final IOException e)
        {
            throw storage("reading the offset of upload " + upload.id, e);
        }
    }

    private Path blobPath(final String blobId)
    {
        return blobsDir.resolve(blobId.substring(0, 2)).resolve(blobId);
    }

    private Path blobRecordPath(final String blobId)
    {
        return blobsDir.resolve(blobId.substring(0, 2)).resolve(blobId + BLOB_META_SUFFIX);
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new MediaException(MediaException.Reason.STORAGE, "media store is closed: " + root);
        }
    }

    private static String sha256Hex(final Path file) throws IOException
    {
        final MessageDigest digest;
        try
        {
            digest = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        // Opened for writing too, so the force below makes the bytes durable before they become a blob.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER_BYTES);
            while (channel.read(buffer) >= 0)
            {
                buffer.flip();
                digest.update(buffer);
                buffer.clear();
            }
            channel.force(true);
        }
        return MediaIds.blobId(digest.digest());
    }

    private static byte[] toBytes(final Properties properties) throws IOException
    {
        final java.io.StringWriter out = new java.io.StringWriter();
        properties.store(out, null);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Properties fromBytes(final byte[] bytes) throws IOException
    {
        final Properties properties = new Properties();
        properties.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
        return properties;
    }

    private static MediaException storage(final String operation, final IOException cause)
    {
        return new MediaException(MediaException.Reason.STORAGE, operation + " failed: " + cause, cause);
    }

    /** Exactly one range of a blob's file, read with positional reads; closing it closes the file. */
    private static final class RangeInputStream extends InputStream
    {
        private final FileChannel channel;
        private long position;
        private long remaining;

        RangeInputStream(final FileChannel channel, final long position, final long length)
        {
            this.channel = channel;
            this.position = position;
            this.remaining = length;
        }

        @Override
        public int read() throws IOException
        {
            final byte[] one = new byte[1];
            final int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(final byte[] bytes, final int offset, final int length) throws IOException
        {
            if (length == 0)
            {
                return 0;
            }
            if (remaining == 0)
            {
                return -1;
            }
            final ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, (int)Math.min(length, remaining));
            final int n = channel.read(buffer, position);
            if (n < 0)
            {
                throw new IOException("blob ended early: truncated on disk");
            }
            position += n;
            remaining -= n;
            return n;
        }

        @Override
        public int available()
        {
            return (int)Math.min(Integer.MAX_VALUE, remaining);
        }

        @Override
        public void close() throws IOException
        {
            channel.close();
        }
    }
}
