using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Tls;
using BcCertificate = Org.BouncyCastle.Crypto.Tls.Certificate;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>
/// Our certificate and its ECDSA key for BouncyCastle's handshake, signing with .NET (OpenSSL) instead of
/// BouncyCastle's managed arithmetic: the ServerKeyExchange signature (server) and CertificateVerify (client).
/// The hash comes from the protocol (RFC 5246 section 7.4.1.4.1: the algorithm named by <see cref="SignatureAndHashAlgorithm"/>);
/// the signature is the DER SEQUENCE of r and s (RFC 8422 section 5.4, Ecdsa-Sig-Value).
/// </summary>
internal sealed class NetEcdsaSignerCredentials(BcCertificate chain, ECDsa key, SignatureAndHashAlgorithm algorithm)
    : AbstractTlsSignerCredentials
{
    public override BcCertificate Certificate => chain;
    public override SignatureAndHashAlgorithm SignatureAndHashAlgorithm => algorithm;

    public override byte[] GenerateCertificateSignature(byte[] hash)
    {
        try { return key.SignHash(hash, DSASignatureFormat.Rfc3279DerSequence); }
        catch (CryptographicException e) { throw new TlsFatalAlert(AlertDescription.internal_error, e); }
    }
}
