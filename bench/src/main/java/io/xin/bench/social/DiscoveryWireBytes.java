package io.xin.bench.social;

import com.google.protobuf.ByteString;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.DiscoveryMatch;
import io.xin.protocol.pb.DiscoveryOp;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.DiscoveryResult;
import io.xin.protocol.pb.Frame;
import io.xin.social.discovery.Oprf;
import io.xin.social.discovery.OprfClient;
import io.xin.social.discovery.OprfKey;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Bytes on the wire of one discovery of a book, computed from the frames the client and the switch exchange (the
 * length prefix included, TLS not): EVALUATE requests and answers, MATCH requests and answers, in requests of
 * {@code perRequest}; and of a registration. Run it with {@code java -cp bench/target/benchmarks.jar
 * io.xin.bench.social.DiscoveryWireBytes [book [perRequest [hits]]]}.
 */
public final class DiscoveryWireBytes
{
    private DiscoveryWireBytes()
    {
    }

    public static void main(final String[] args)
    {
        final int book = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        final int perRequest = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        final int hits = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        final SecureRandom random = new SecureRandom();
        final OprfKey key = OprfKey.derive(1, new byte[32]);

        long evaluateUp = 0;
        long evaluateDown = 0;
        long matchUp = 0;
        long matchDown = 0;
        int requests = 0;
        int matched = 0;
        for (int start = 0; start < book; start += perRequest)
        {
            final int count = Math.min(perRequest, book - start);
            final long requestId = 1000 + requests++;
            final DiscoveryRequest.Builder evaluate = DiscoveryRequest.newBuilder().setRequestId(requestId)
                .setOp(DiscoveryOp.DISCOVERY_EVALUATE);
            final DiscoveryResult.Builder evaluated = DiscoveryResult.newBuilder().setRequestId(requestId)
                .setOp(DiscoveryOp.DISCOVERY_EVALUATE).setKeyId(1).setTokensLeft(3_000);
            final DiscoveryRequest.Builder match = DiscoveryRequest.newBuilder().setRequestId(requestId + 500)
                .setOp(DiscoveryOp.DISCOVERY_MATCH).setKeyId(1);
            final DiscoveryResult.Builder matches = DiscoveryResult.newBuilder().setRequestId(requestId + 500)
                .setOp(DiscoveryOp.DISCOVERY_MATCH).setKeyId(1).setTokensLeft(3_000);
            for (int i = 0; i < count; i++)
            {
                final byte[] number = String.format("+86139%08d", random.nextInt(100_000_000))
                    .getBytes(StandardCharsets.UTF_8);
                final OprfClient.Blinded blinded = OprfClient.blind(number, random);
                final byte[] element = key.blindEvaluate(blinded.blindedElement());
                evaluate.addElements(ByteString.copyFrom(blinded.blindedElement()));
                evaluated.addElements(ByteString.copyFrom(element));
                match.addElements(ByteString.copyFrom(Oprf.tag(OprfClient.finalizeOutput(blinded, element))));
                if (matched < hits && (start + i) % Math.max(1, book / Math.max(1, hits)) == 0)
                {
                    // A user id of nine decimal digits, as a large service hands out.
                    matches.addMatches(DiscoveryMatch.newBuilder().setIndex(i).setUserId(100_000_000L + start + i));
                    matched++;
                }
            }
            evaluateUp += bytes(Frame.newBuilder().setDiscovery(evaluate).build());
            evaluateDown += bytes(Frame.newBuilder().setDiscoveryResult(evaluated).build());
            matchUp += bytes(Frame.newBuilder().setDiscovery(match).build());
            matchDown += bytes(Frame.newBuilder().setDiscoveryResult(matches).build());
        }
        final long total = evaluateUp + evaluateDown + matchUp + matchDown;
        System.out.printf("book %d numbers, %d per request (%d requests each way per step), %d matches%n", book,
            perRequest, requests, matched);
        System.out.printf("| step | client -> switch | switch -> client |%n|---|---:|---:|%n");
        System.out.printf("| EVALUATE | %d | %d |%n| MATCH | %d | %d |%n", evaluateUp, evaluateDown, matchUp, matchDown);
        System.out.printf("| total | %d | %d |%n", evaluateUp + matchUp, evaluateDown + matchDown);
        System.out.printf("all: %d bytes, %.1f bytes a number%n", total, total / (double)book);

        final OprfClient.Blinded own = OprfClient.blind("+8613900000000".getBytes(StandardCharsets.UTF_8), random);
        final byte[] ownElement = key.blindEvaluate(own.blindedElement());
        final long register = bytes(Frame.newBuilder().setDiscovery(DiscoveryRequest.newBuilder().setRequestId(7)
            .setOp(DiscoveryOp.DISCOVERY_EVALUATE).addElements(ByteString.copyFrom(own.blindedElement()))).build()) +
            bytes(Frame.newBuilder().setDiscoveryResult(DiscoveryResult.newBuilder().setRequestId(7)
                .setOp(DiscoveryOp.DISCOVERY_EVALUATE).setKeyId(1).setTokensLeft(3_999)
                .addElements(ByteString.copyFrom(ownElement))).build()) +
            bytes(Frame.newBuilder().setDiscovery(DiscoveryRequest.newBuilder().setRequestId(8)
                .setOp(DiscoveryOp.DISCOVERY_REGISTER).setKeyId(1)
                .addElements(ByteString.copyFrom(Oprf.tag(OprfClient.finalizeOutput(own, ownElement))))).build()) +
            bytes(Frame.newBuilder().setDiscoveryResult(DiscoveryResult.newBuilder().setRequestId(8)
                .setOp(DiscoveryOp.DISCOVERY_REGISTER).setKeyId(1)).build());
        System.out.printf("registration (EVALUATE of 1, REGISTER, both answers): %d bytes%n", register);
    }

    private static int bytes(final Frame frame)
    {
        return FrameEncoder.encodedLength(frame);
    }
}
