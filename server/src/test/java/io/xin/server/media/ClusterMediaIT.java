package io.xin.server.media;

import com.google.protobuf.ByteString;
import io.xin.cluster.ClusterConfig;
import io.xin.cluster.ClusterNode;
import io.xin.cluster.KafkaTestCluster;
import io.xin.core.Configuration;
import io.xin.core.RawClient;
import io.xin.core.TestSwitch;
import io.xin.core.journal.JournalShard;
import io.xin.media.s3.S3ProxyServer;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.MediaUrl;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.UploadTicket;
import io.xin.protocol.pb.UploadTicketResult;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Media on a cluster, wired as {@code xin server} wires a node: two nodes on one KRaft broker, each with its own
 * media server and spool directory, sharing one S3 bucket (a real S3Proxy) and one key file. A photo uploaded
 * through one node and sent to a user of the other is checked there against the shared bucket, stamped, handed over,
 * and downloaded by the recipient with a URL its own node presigned.
 */
@Tag("cluster")
@Tag("slow")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class ClusterMediaIT
{
    private static final int PARTITIONS = 4;
    private static final int WAIT_MS = 15_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path s3Dir;
    private static KafkaTestCluster kafka;
    private static S3ProxyServer s3;

    @TempDir
    Path dir;
    private final List<AutoCloseable> opened = new ArrayList<>();

    /** One node: its cluster membership, media and switch. */
    private record Node(ClusterNode cluster, DaemonMedia media, TestSwitch server)
    {
    }

    @BeforeAll
    static void startServices() throws Exception
    {
        kafka = KafkaTestCluster.single();
        s3 = new S3ProxyServer(s3Dir);
    }

    @AfterAll
    static void stopServices() throws Exception
    {
        CloseHelper.closeAll(s3, kafka);
    }

    @AfterEach
    void tearDown()
    {
        final List<AutoCloseable> reversed = new ArrayList<>(opened);
        java.util.Collections.reverse(reversed);
        CloseHelper.quietCloseAll(reversed);
    }

    @Test
    void shouldServeAPhotoUploadedOnOneNodeToAUserOfTheOther() throws Exception
    {
        final String bucket = s3.newBucket();
        final Path keyFile = dir.resolve("media.key");
        final byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        Files.writeString(keyFile, "k1 " + Base64.getEncoder().encodeToString(secret) + "\n");
        final Path accessKey = Files.writeString(dir.resolve("s3.access"), S3ProxyServer.ACCESS_KEY);
        final Path secretKey = Files.writeString(dir.resolve("s3.secret"), S3ProxyServer.SECRET_KEY);
        final Node one = start("one", bucket, keyFile, accessKey, secretKey);
        final Node two = start("two", bucket, keyFile, accessKey, secretKey);
        awaitAllOwned(one, two);
        final long alice = ownedBy(one, 1);
        final long bob = ownedBy(two, 1);

        final byte[] photo = new byte[300_000];
        new SecureRandom().nextBytes(photo);
        try (RawClient aliceClient = RawClient.loggedIn(one.server.port(), one.server.token(alice), "phone");
            RawClient bobClient = RawClient.loggedIn(two.server.port(), two.server.token(bob), "phone"))
        {
            aliceClient.send(Frame.newBuilder().setUploadTicket(UploadTicket.newBuilder().setRequestId(1)
                .setSizeBytes(photo.length).setContentType("image/jpeg")
                .setSha256(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(photo)))).build());
            final UploadTicketResult ticket =
                aliceClient.readUntil(Frame.BodyCase.UPLOAD_TICKET_RESULT, WAIT_MS).getUploadTicketResult();
            assertTrue(ticket.getUploadUrl().startsWith(one.media.publicUrl()), "uploads go to the ticket's node");
            final HttpResponse<String> patched = DaemonMediaIT.patchWhole(ticket, photo);
            assertEquals(204, patched.statusCode(), patched.body());
            assertTrue(two.media.store().stat(ticket.getBlobKey()).isPresent(), "the other node sees the blob");

            aliceClient.send(Frame.newBuilder().setSend(Send.newBuilder().setRequestId(2).setToUserId(bob)
                .setClientMsgId("photo").setContent(Content.newBuilder().setType(ContentType.IMAGE)
                    .setMedia(MediaRef.newBuilder().setBlobKey(ticket.getBlobKey()).setSizeBytes(photo.length)
                        .setMimeType("image/jpeg")))).build());
            assertEquals(1, aliceClient.readUntil(Frame.BodyCase.SEND_ACK, WAIT_MS).getSendAck().getSeq());
            final Message delivered = bobClient.readUntil(Frame.BodyCase.DELIVER, WAIT_MS).getDeliver().getMessage();
            final MediaRef ref = delivered.getContent().getMedia();
            assertEquals(ticket.getBlobKey(), ref.getBlobKey());

            // Bob asks his own node, which checks the token node one stamped and presigns a read of the bucket.
            bobClient.send(Frame.newBuilder().setMediaUrl(MediaUrl.newBuilder().setRequestId(3)
                .setBlobKey(ref.getBlobKey()).setAccessToken(ref.getAccessToken())).build());
            final MediaUrlResult url =
                bobClient.readUntil(Frame.BodyCase.MEDIA_URL_RESULT, WAIT_MS).getMediaUrlResult();
            assertTrue(url.getUrl().startsWith(s3.endpoint().toString()), url.getUrl());
            final HttpResponse<byte[]> whole = HTTP.send(HttpRequest.newBuilder(URI.create(url.getUrl())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, whole.statusCode());
            assertArrayEquals(photo, whole.body());

            // The blob is Alice's: Bob cannot pass it off as his own on his node.
            bobClient.send(Frame.newBuilder().setSend(Send.newBuilder().setRequestId(4).setToUserId(alice)
                .setClientMsgId("not mine").setContent(Content.newBuilder().setType(ContentType.IMAGE)
                    .setMedia(MediaRef.newBuilder().setBlobKey(ticket.getBlobKey()).setSizeBytes(photo.length)
                        .setMimeType("image/jpeg")))).build());
            assertEquals(ErrorCode.BAD_MEDIA_REF, bobClient.readUntil(Frame.BodyCase.ERROR, WAIT_MS).getError()
                .getCode());
        }
    }

    private Node start(
        final String id, final String bucket, final Path keyFile, final Path accessKey, final Path secretKey)
    {
        final ClusterNode cluster = new ClusterNode(new ClusterConfig()
            .bootstrapServers(kafka.bootstrapServers())
            .clusterName("media")
            .nodeId(id)
            .advertisedAddress("127.0.0.1:0")
            .partitions(PARTITIONS)
            .replicationFactor((short)1)
            .minInsyncReplicas(1)
            .sessionTimeoutMs(6_000)
            .heartbeatIntervalMs(1_000)
            .appendTimeoutMs(5_000));
        cluster.ensureTopics();
        final DaemonMedia.Options options = new DaemonMedia.Options(Configuration.MEDIA_STORE_S3, null,
            dir.resolve(id + "-spool"), "127.0.0.1", 0, keyFile, s3.endpoint().toString(), S3ProxyServer.REGION, bucket,
            accessKey, secretKey, true);
        assertEquals(null, DaemonMedia.clusterRefusal(options));
        final DaemonMedia[] media = new DaemonMedia[1];
        final TestSwitch server = new TestSwitch(dir.resolve(id), ctx -> media[0] = DaemonMedia.start(options, ctx
            .journalShards(PARTITIONS)
            .replicatedShards(cluster)
            .placement(cluster)
            .socialFeed(cluster.social())));
        // Closed in reverse: the membership first (its shards move at once), then the switch, then its media.
        opened.add(media[0]);
        opened.add(server);
        opened.add(cluster);
        cluster.config().advertisedAddress("127.0.0.1:" + server.port());
        cluster.start();
        return new Node(cluster, media[0], server);
    }

    private static void awaitAllOwned(final Node... nodes) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true)
        {
            int owned = 0;
            boolean everyNode = true;
            for (final Node node : nodes)
            {
                owned += node.cluster.ownedShards().size();
                everyNode &= !node.cluster.ownedShards().isEmpty();
            }
            if (owned == PARTITIONS && everyNode)
            {
                return;
            }
            assertTrue(System.nanoTime() - deadline < 0, "the nodes did not share the shards in time");
            Thread.sleep(50);
        }
    }

    private static long ownedBy(final Node node, final long from)
    {
        long user = from;
        while (node.cluster.ownerEpoch(JournalShard.of(user, PARTITIONS)) == 0)
        {
            user++;
        }
        return user;
    }
}
