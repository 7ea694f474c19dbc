package io.xin.core;

import com.google.protobuf.ByteString;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.xin.client.XinClient;
import io.xin.core.net.ServerTls;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on the client port with the real client: both providers, certificate renewal without a restart,
 * broken renewals, and clients that do not speak TLS.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class TlsIT
{
    @TempDir
    Path dir;

    private Path certFile;
    private Path keyFile;

    @ParameterizedTest
    @ValueSource(strings = { ServerTls.PROVIDER_JDK, ServerTls.PROVIDER_OPENSSL })
    void shouldServeTheRealClientOverTlsWithEitherProvider(final String provider) throws Exception
    {
        final X509Bundle authority = authority("CN=Xin test CA");
        install(authority);
        try (TestSwitch xin = new TestSwitch(dir.resolve("data"), ctx -> ctx.tls(certFile, keyFile).tlsProvider(provider));
            XinClient alice = client(xin, 1, authority))
        {
            assertEquals(provider, xin.xin().tls().providerName());
            alice.connect().get(10, TimeUnit.SECONDS);
            final SendAck ack = alice.send(2, text("over TLS")).get(10, TimeUnit.SECONDS);
            assertEquals(1, ack.getSeq());
            assertEquals(1, xin.xin().counters().tlsHandshakes.sum());
        }
    }

    @Test
    void shouldNeverParkATlsSession() throws Exception
    {
        final X509Bundle authority = authority("CN=Xin test CA");
        install(authority);
        try (TestSwitch xin = new TestSwitch(dir.resolve("data"), ctx -> ctx.tls(certFile, keyFile).parkIdleMs(50));
            XinClient alice = client(xin, 1, authority))
        {
            alice.connect().get(10, TimeUnit.SECONDS);
            // Many idle checks long past the park time: an SSLEngine cannot be parked, so the session keeps its channel.
            Thread.sleep(1_000);
            assertEquals(0, xin.xin().counters().sessionParks.sum());
            assertEquals(1, alice.send(2, text("still over TLS")).get(10, TimeUnit.SECONDS).getSeq());
        }
    }

    @Test
    void shouldTakeARenewedCertificateForNewConnectionsAndKeepOpenOnes() throws Exception
    {
        final X509Bundle oldAuthority = authority("CN=Old CA");
        final X509Bundle newAuthority = authority("CN=New CA");
        install(oldAuthority);
        try (TestSwitch xin = new TestSwitch(dir.resolve("data"), ctx -> ctx.tls(certFile, keyFile).tlsReloadIntervalMs(20));
            XinClient before = client(xin, 1, oldAuthority))
        {
            before.connect().get(10, TimeUnit.SECONDS);

            install(newAuthority);
            awaitReloads(xin, 1);

            try (XinClient trustsNew = client(xin, 2, newAuthority);
                XinClient trustsOld = client(xin, 3, oldAuthority))
            {
                trustsNew.connect().get(10, TimeUnit.SECONDS);
                assertThrows(ExecutionException.class, () -> trustsOld.connect().get(10, TimeUnit.SECONDS),
                    "the old certificate is no longer presented to new connections");
            }
            assertEquals(1, before.send(2, text("still here")).get(10, TimeUnit.SECONDS).getSeq(),
                "a connection made before the renewal keeps working");
        }
    }

    @Test
    void shouldKeepTheCurrentCertificateWhenTheRenewedFilesCannotBeLoaded() throws Exception
    {
        final X509Bundle authority = authority("CN=Xin test CA");
        install(authority);
        try (TestSwitch xin = new TestSwitch(dir.resolve("data"), ctx -> ctx.tls(certFile, keyFile).tlsReloadIntervalMs(20)))
        {
            replace(keyFile, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (xin.xin().tls().reloadFailures() == 0 && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(10);
            }
            assertEquals(1, xin.xin().tls().reloadFailures());
            assertEquals(0, xin.xin().tls().reloads());
            try (XinClient alice = client(xin, 1, authority))
            {
                alice.connect().get(10, TimeUnit.SECONDS);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({ "jdk, certificate first, false", "openssl, certificate first, false",
        "jdk, key first, true", "openssl, key first, true" })
    void shouldKeepTheCurrentPairWhileTheRenewedKeyDoesNotMatchTheRenewedCertificate(
        final String provider, final String order, final boolean rsa) throws Exception
    {
        final X509Bundle oldAuthority = authority("CN=Old CA");
        final X509Bundle newAuthority = authority("CN=New CA");
        install(oldAuthority);
        final X509Bundle renewed = leaf(newAuthority, "CN=renewed", rsa, Instant.now().plus(90, ChronoUnit.DAYS));
        final boolean certificateFirst = order.startsWith("certificate");
        try (TestSwitch xin = new TestSwitch(dir.resolve("data"),
            ctx -> ctx.tls(certFile, keyFile).tlsProvider(provider).tlsReloadIntervalMs(20)))
        {
            final long oldExpiry = xin.xin().tls().expiryEpochSeconds();
            assertTrue(oldExpiry > renewed.getCertificate().getNotAfter().toInstant().getEpochSecond());
            if (certificateFirst)
            {
                replace(certFile, renewed.getCertificatePEM());
            }
            else
            {
                replace(keyFile, renewed.getPrivateKeyPEM());
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (xin.xin().tls().reloadFailures() == 0 && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(10);
            }
            assertEquals(1, xin.xin().tls().reloadFailures(), "the half-replaced pair is refused");
            assertEquals(0, xin.xin().tls().reloads());
            assertEquals(oldExpiry, xin.xin().tls().expiryEpochSeconds());
            try (XinClient trustsOld = client(xin, 1, oldAuthority))
            {
                trustsOld.connect().get(10, TimeUnit.SECONDS);
            }

            if (certificateFirst)
            {
                replace(keyFile, renewed.getPrivateKeyPEM());
            }
            else
            {
                replace(certFile, renewed.getCertificatePEM());
            }
            awaitReloads(xin, 1);
            assertEquals(1, xin.xin().tls().reloadFailures());
            try (XinClient trustsNew = client(xin, 2, newAuthority);
                XinClient trustsOld = client(xin, 3, oldAuthority))
            {
                trustsNew.connect().get(10, TimeUnit.SECONDS);
                assertThrows(ExecutionException.class, () -> trustsOld.connect().get(10, TimeUnit.SECONDS),
                    "the old certificate is no longer presented to new connections");
            }
            final long renewedExpiry = renewed.getCertificate().getNotAfter().toInstant().getEpochSecond();
            assertEquals(renewedExpiry, xin.xin().tls().expiryEpochSeconds());
        }
    }

    @Test
    void shouldRefuseToLaunchWithAKeyThatIsNotTheCertificates() throws Exception
    {
        install(authority("CN=Xin test CA"));
        replace(keyFile, leaf(authority("CN=Other CA"), "CN=other", false).getPrivateKeyPEM());
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> new TestSwitch(dir.resolve("data"), ctx -> ctx.tls(certFile, keyFile)));
        assertTrue(refused.getMessage().contains("does not match the certificate CN=localhost"), refused.getMessage());
    }

    @Test
    void shouldCloseAndCountAClientThatDoesNotSpeakTls() throws Exception
    {
        install(authority("CN=Xin test CA"));
        try (TestSwitch xin = new TestSwitch(dir.resolve("data"), ctx -> ctx.tls(certFile, keyFile));
            RawClient plain = new RawClient(xin.port()))
        {
            plain.send(RawClient.login(xin.token(1), "phone"));
            assertThrows(java.io.IOException.class, () -> plain.read(5_000), "closed without a frame");
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (xin.xin().counters().tlsHandshakeFailures.sum() == 0 && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(10);
            }
            assertEquals(1, xin.xin().counters().tlsHandshakeFailures.sum());
            assertEquals(0, xin.xin().counters().loginsSucceeded.sum());
        }
    }

    @Test
    void shouldRefuseToLaunchWithAKeyThatCannotBeLoaded() throws Exception
    {
        install(authority("CN=Xin test CA"));
        replace(keyFile, "garbage");
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> new TestSwitch(dir.resolve("data"), ctx -> ctx.tls(certFile, keyFile)));
        assertTrue(refused.getMessage().startsWith("tlsCertFile/tlsKeyFile: cannot load"), refused.getMessage());
        // Reported under the setting, so that the daemon names its flag, variable and config key.
        assertEquals(Setting.TLS_CERT, assertInstanceOf(ConfigurationException.class, refused).setting());
    }

    private static X509Bundle authority(final String subject) throws Exception
    {
        return new CertificateBuilder().subject(subject).ecp256().setIsCertificateAuthority(true).buildSelfSigned();
    }

    /** Writes a certificate for 127.0.0.1 issued by {@code authority}, replacing the files atomically. */
    private void install(final X509Bundle authority) throws Exception
    {
        final X509Bundle leaf = leaf(authority, "CN=localhost", false);
        certFile = dir.resolve("cert.pem");
        keyFile = dir.resolve("key.pem");
        replace(keyFile, leaf.getPrivateKeyPEM());
        replace(certFile, leaf.getCertificatePEM());
    }

    /** A certificate for 127.0.0.1 issued by {@code authority}, with an EC P-256 or an RSA key. */
    private static X509Bundle leaf(final X509Bundle authority, final String subject, final boolean rsa) throws Exception
    {
        return leaf(authority, subject, rsa, Instant.now().plus(365, ChronoUnit.DAYS));
    }

    private static X509Bundle leaf(
        final X509Bundle authority, final String subject, final boolean rsa, final Instant notAfter) throws Exception
    {
        final CertificateBuilder builder = new CertificateBuilder()
            .subject(subject).addSanIpAddress("127.0.0.1").addExtendedKeyUsageServerAuth().notAfter(notAfter);
        return (rsa ? builder.rsa2048() : builder.ecp256()).buildIssuedBy(authority);
    }

    private void replace(final Path file, final String content) throws Exception
    {
        final Path next = Files.writeString(dir.resolve(file.getFileName() + ".next"), content);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void shouldTellTlsClientsToGoAwayWhileTheyAreStillSending() throws Exception
    {
        final X509Bundle authority = authority("CN=Xin test CA");
        install(authority);
        for (int round = 0; round < 4; round++)
        {
            // Both keep sending until the switch closes them: its GoAway, written before its close_notify, must
            // reach them though their last sends arrive after it.
            final TestDevices.Device aliceEvents = new TestDevices.Device();
            final TestDevices.Device bobEvents = new TestDevices.Device();
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong acked = new AtomicLong();
            try (TestSwitch xin = new TestSwitch(dir.resolve("data"), ctx -> ctx.tls(certFile, keyFile));
                XinClient alice = client(xin, 1, authority, aliceEvents);
                XinClient bob = client(xin, 2, authority, bobEvents))
            {
                alice.connect().get(10, TimeUnit.SECONDS);
                bob.connect().get(10, TimeUnit.SECONDS);
                final Thread aliceSends = TestDevices.startSender(alice, 2, "a" + round + "-", stop, acked);
                final Thread bobSends = TestDevices.startSender(bob, 1, "b" + round + "-", stop, acked);
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (acked.get() < 300 && System.nanoTime() < deadlineNs)
                {
                    Thread.sleep(5);
                }
                assertTrue(acked.get() >= 300, "acked before the stop: " + acked.get());

                xin.close();
                assertTrue(aliceEvents.goAway.await(10, TimeUnit.SECONDS), "round " + round + ": alice's GoAway");
                assertTrue(bobEvents.goAway.await(10, TimeUnit.SECONDS), "round " + round + ": bob's GoAway");
                stop.set(true);
                aliceSends.join(10_000);
                bobSends.join(10_000);
            }
        }
    }

    private static void awaitReloads(final TestSwitch xin, final long reloads) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (xin.xin().tls().reloads() < reloads)
        {
            assertTrue(System.nanoTime() < deadlineNs, "no reload within 10 s");
            Thread.sleep(10);
        }
    }

    private static XinClient client(final TestSwitch xin, final long userId, final X509Bundle trusted) throws Exception
    {
        return client(xin, userId, trusted, new TestDevices.Device());
    }

    private static XinClient client(
        final TestSwitch xin, final long userId, final X509Bundle trusted, final XinClient.Listener listener) throws Exception
    {
        final SslContext ssl = SslContextBuilder.forClient().trustManager(trusted.getCertificate()).build();
        return XinClient.builder()
            .host("127.0.0.1")
            .port(xin.port())
            .sslContext(ssl)
            .token(xin.token(userId))
            .deviceId("device-" + userId)
            .autoReconnect(false)
            .listener(listener)
            .build();
    }

    private static Content text(final String text)
    {
        return Content.newBuilder()
            .setType(ContentType.TEXT)
            .setBody(ByteString.copyFrom(text, StandardCharsets.UTF_8))
            .build();
    }
}
