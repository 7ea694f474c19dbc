package io.xin.core.net;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's TLS context, built from a PEM certificate chain and a PEM PKCS#8 private key, and
 * swapped for a new one when those files change. New connections take the current context; a
 * connection keeps the context it started with, so a reload never disturbs an open session.
 * <p>
 * A pair is taken only when the private key signs a random challenge that the leaf certificate's public key
 * verifies: neither provider checks that the key belongs to the certificate, and a mismatched pair loads and
 * then fails every handshake (e.g. the certificate replaced, its key not yet).
 * <p>
 * BoringSSL (netty-tcnative) is used where its native library loads, the JDK's provider otherwise.
 * {@link #newHandler} is called by event loops and reads one volatile field; {@link #reloadIfChanged()}
 * is called by the certificate reloader thread only.
 */
public final class ServerTls
{
    public static final String PROVIDER_AUTO = "auto";
    public static final String PROVIDER_OPENSSL = "openssl";
    public static final String PROVIDER_JDK = "jdk";

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);
    private static final Pattern PEM_CERTIFICATE = Pattern.compile(
        "-+BEGIN\\s+[^-\\r\\n]*CERTIFICATE[^-\\r\\n]*-+\\s+([a-z0-9+/=\\s]+)-+END\\s+[^-\\r\\n]*CERTIFICATE[^-\\r\\n]*-+",
        Pattern.CASE_INSENSITIVE);
    private static final Pattern PEM_PRIVATE_KEY = Pattern.compile(
        "-+BEGIN\\s+([^-\\r\\n]*)PRIVATE\\s+KEY[^-\\r\\n]*-+\\s+([a-z0-9+/=\\s]+)-+END\\s+[^-\\r\\n]*PRIVATE\\s+KEY[^-\\r\\n]*-+",
        Pattern.CASE_INSENSITIVE);
    private static final String[] KEY_ALGORITHMS = { "RSA", "EC", "EdDSA", "RSASSA-PSS" };

    private final Path certFile;
    private final Path keyFile;
    private final SslProvider provider;
    private final long handshakeTimeoutMs;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();
    private volatile SslContext current;
    /** The current leaf certificate's notAfter, in seconds since the epoch. */
    private volatile long expiryEpochSeconds;
    /** Owned by the reloader thread: what the files looked like when {@link #current} was built. */
    private String loadedStamp;
    /** Owned by the reloader thread: a changed stamp seen once, taken when the next check sees it again. */
    private String changedStamp;

    private ServerTls(final Path certFile, final Path keyFile, final SslProvider provider, final long handshakeTimeoutMs)
    {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.provider = provider;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
    }

    /**
     * Loads the certificate and key now.
     *
     * @param certFile           PEM certificate chain, leaf first.
     * @param keyFile            PEM private key, PKCS#8 ("BEGIN PRIVATE KEY"), not encrypted.
     * @param providerName       {@code auto}, {@code openssl} or {@code jdk}.
     * @param handshakeTimeoutMs a connection that has not finished its handshake by then is closed.
     * @throws BadTlsSetting naming the setting when a file cannot be read or parsed, or {@code openssl} was asked
     *                       for and is not available.
     */
    public static ServerTls load(
        final Path certFile, final Path keyFile, final String providerName, final long handshakeTimeoutMs)
    {
        final ServerTls tls = new ServerTls(certFile, keyFile, provider(providerName), handshakeTimeoutMs);
        tls.loadedStamp = tls.stamp();
        final X509Certificate leaf;
        try
        {
            leaf = tls.build();
        }
        catch (final Exception ex)
        {
            throw new BadTlsSetting(false, "tlsCertFile/tlsKeyFile: cannot load a TLS certificate and key from " +
                certFile + " and " + keyFile + ": " + ex.getMessage(), ex);
        }
        LOG.info("TLS certificate {}, expires {}", leaf.getSubjectX500Principal(), leaf.getNotAfter().toInstant());
        return tls;
    }

    /**
     * @return true when {@code name} is a known TLS provider name.
     */
    public static boolean isKnownProvider(final String name)
    {
        return name != null && switch (name.toLowerCase(Locale.ROOT))
        {
            case PROVIDER_AUTO, PROVIDER_OPENSSL, PROVIDER_JDK -> true;
            default -> false;
        };
    }

    private static SslProvider provider(final String name)
    {
        switch (name.toLowerCase(Locale.ROOT))
        {
            case PROVIDER_OPENSSL:
                if (!OpenSsl.isAvailable())
                {
                    throw new BadTlsSetting(true, "tlsProvider openssl is not available here: " +
                        OpenSsl.unavailabilityCause());
                }
                return SslProvider.OPENSSL;
            case PROVIDER_JDK:
                return SslProvider.JDK;
            case PROVIDER_AUTO:
                return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
            default:
                throw new BadTlsSetting(true, "tlsProvider must be one of auto, openssl, jdk: " +
                    name);
        }
    }

    /**
     * Reads both files once, checks that the key belongs to the leaf certificate, and only then makes the
     * pair current.
     *
     * @return the leaf certificate now served.
     */
    private X509Certificate build() throws IOException, GeneralSecurityException
    {
        final X509Certificate[] chain = readCertificates(certFile);
        final PrivateKey key = readPrivateKey(keyFile);
        requireMatchingKey(key, chain[0]);
        final SslContext context = SslContextBuilder.forServer(key, chain)
            .sslProvider(provider)
            .protocols("TLSv1.3", "TLSv1.2")
            .build();
        expiryEpochSeconds = chain[0].getNotAfter().toInstant().getEpochSecond();
        current = context;
        return chain[0];
    }

    static X509Certificate[] readCertificates(final Path file) throws IOException, GeneralSecurityException
    {
        final Matcher pem = PEM_CERTIFICATE.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        final CertificateFactory factory = CertificateFactory.getInstance("X.509");
        final List<X509Certificate> chain = new ArrayList<>();
        while (pem.find())
        {
            chain.add((X509Certificate)factory.generateCertificate(
                new ByteArrayInputStream(Base64.getMimeDecoder().decode(pem.group(1)))));
        }
        if (chain.isEmpty())
        {
            throw new GeneralSecurityException("no PEM certificate in " + file);
        }
        return chain.toArray(new X509Certificate[0]);
    }

    static PrivateKey readPrivateKey(final Path file) throws IOException, GeneralSecurityException
    {
        final Matcher pem = PEM_PRIVATE_KEY.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        if (!pem.find())
        {
            throw new GeneralSecurityException("no PEM private key in " + file);
        }
        if (!pem.group(1).isBlank())
        {
            throw new GeneralSecurityException("the key in " + file + " is a \"" + pem.group(1).trim() +
                " PRIVATE KEY\"; a PKCS#8 \"PRIVATE KEY\", not encrypted, is needed");
        }
        final PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pem.group(2)));
        for (final String algorithm : KEY_ALGORITHMS)
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            }
            catch (final GeneralSecurityException notThisAlgorithm)
            {
                // Try the next one: PKCS#8 names its algorithm by OID, which no JDK API maps to a factory.
            }
        }
        throw new GeneralSecurityException("the PKCS#8 key in " + file + " is not an RSA, EC or EdDSA key");
    }

    /**
     * Signs a random challenge with {@code key} and verifies it with the certificate's public key.
     *
     * @throws GeneralSecurityException saying so when the key is not the certificate's.
     */
    static void requireMatchingKey(final PrivateKey key, final X509Certificate certificate)
        throws GeneralSecurityException
    {
        final PublicKey publicKey = certificate.getPublicKey();
        final String algorithm;
        if (key instanceof RSAKey && "RSA".equals(key.getAlgorithm()))
        {
            algorithm = "SHA256withRSA";
        }
        else if (key instanceof ECKey)
        {
            algorithm = "SHA256withECDSA";
        }
        else if (key instanceof EdECKey)
        {
            algorithm = "EdDSA";
        }
        else
        {
            throw new GeneralSecurityException("cannot check a " + key.getAlgorithm() + " key against its certificate");
        }
        final byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        final Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(challenge);
        final byte[] signature = signer.sign();
        final Signature verifier = Signature.getInstance(algorithm);
        boolean matches;
        try
        {
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            matches = verifier.verify(signature);
        }
        catch (final InvalidKeyException | java.security.SignatureException otherKind)
        {
            matches = false;
        }
        if (!matches)
        {
            throw new GeneralSecurityException("the private key (" + key.getAlgorithm() + ") does not match the " +
                "certificate " + certificate.getSubjectX500Principal() + " (" + publicKey.getAlgorithm() + " key)");
        }
    }

    /**
     * A handler for a new connection, with the current context.
     *
     * @param alloc the channel's allocator.
     * @return the handler, first in the pipeline after the PROXY header decoder.
     */
    public SslHandler newHandler(final ByteBufAllocator alloc)
    {
        final SslHandler handler = current.newHandler(alloc);
        handler.setHandshakeTimeout(handshakeTimeoutMs, TimeUnit.MILLISECONDS);
        return handler;
    }

    /**
     * Rebuilds the context when the certificate or the key file changed (size or modification time) and two
     * checks in a row saw them alike.
     * Files that cannot be read or parsed, or whose key does not match the certificate (e.g. the certificate
     * replaced but not yet its key), keep the current context, with one warning and one failure counted; they are
     * tried again when they change again.
     *
     * @return true when a new context was taken.
     */
    public boolean reloadIfChanged()
    {
        final String stamp = stamp();
        if (stamp.equals(loadedStamp))
        {
            changedStamp = null;
            return false;
        }
        if (!stamp.equals(changedStamp))
        {
            // The files changed since the last check: wait one interval for them to settle, so that a key and
            // a certificate replaced one after the other are loaded as a pair, never the new key with the old
            // certificate (which would load, and then fail every handshake).
            changedStamp = stamp;
            return false;
        }
        loadedStamp = stamp;
        final X509Certificate leaf;
        try
        {
            leaf = build();
        }
        catch (final Exception ex)
        {
            reloadFailures.increment();
            LOG.warn("TLS certificate reload from {} and {} failed, keeping the current one: {}",
                certFile, keyFile, ex.getMessage() != null ? ex.getMessage() : ex.toString());
            return false;
        }
        reloads.increment();
        LOG.info("TLS certificate reloaded from {}: {}, expires {}",
            certFile, leaf.getSubjectX500Principal(), leaf.getNotAfter().toInstant());
        return true;
    }

    private String stamp()
    {
        return stamp(certFile) + "|" + stamp(keyFile);
    }

    private static String stamp(final Path file)
    {
        try
        {
            final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return attributes.lastModifiedTime().toMillis() + ":" + attributes.size();
        }
        catch (final IOException ex)
        {
            return "missing";
        }
    }

    /** @return {@code openssl} or {@code jdk}. */
    public String providerName()
    {
        return provider == SslProvider.JDK ? PROVIDER_JDK : PROVIDER_OPENSSL;
    }

    public long reloads()
    {
        return reloads.sum();
    }

    public long reloadFailures()
    {
        return reloadFailures.sum();
    }

    /**
     * @return when the certificate served to new connections expires (its leaf's notAfter), in seconds since
     * the epoch.
     */
    public long expiryEpochSeconds()
    {
        return expiryEpochSeconds;
    }

    /**
     * A TLS setting that cannot be used: the certificate and key files, or the provider. The message starts with the
     * setting's name; the embedding API reports it as that setting's configuration error.
     */
    public static final class BadTlsSetting extends IllegalArgumentException
    {
        private static final long serialVersionUID = 1L;

        private final boolean provider;

        BadTlsSetting(final boolean provider, final String message)
        {
            this(provider, message, null);
        }

        BadTlsSetting(final boolean provider, final String message, final Throwable cause)
        {
            super(message, cause);
            this.provider = provider;
        }

        /**
         * @return true when the provider is at fault, false when the certificate or key files are.
         */
        public boolean provider()
        {
            return provider;
        }
    }
}
