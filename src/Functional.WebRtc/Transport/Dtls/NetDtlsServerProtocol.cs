using System.Collections;
using Org.BouncyCastle.Crypto.Tls;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.Crypto.Tls.Certificate;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>What the server protocol needs from its peer to check CertificateVerify itself.</summary>
internal interface ICertificateVerifyContext
{
    /// <summary>The server's context (null before Init).</summary>
    TlsContext? Context { get; }
    /// <summary>The signature algorithms our CertificateRequest listed.</summary>
    IList? RequestedSignatureAlgorithms { get; }
    /// <summary>The client's certificate chain, once received.</summary>
    BcCertificate? ClientCertificate { get; }
    /// <summary>Its key, imported in the background from when the certificate arrived (null result: not an EC key).</summary>
    Task<VerifyingKey?>? ClientKey { get; }
}

/// <summary>
/// BouncyCastle's DTLS server protocol with the client's CertificateVerify (RFC 5246 section 7.4.8) checked by .NET's
/// ECDSA (OpenSSL) when the client certificate has an EC key and the signature is ECDSA with SHA-1/256/384/512; any
/// other case goes to BouncyCastle's own check. Same outcomes: decode_error for trailing octets, illegal_parameter
/// (from BouncyCastle's list check) for an algorithm we did not request, decrypt_error for a bad signature.
/// </summary>
internal sealed class NetDtlsServerProtocol(SecureRandom random) : DtlsServerProtocol(random)
{
    private ICertificateVerifyContext? peer;

    /// <summary>How many CertificateVerify messages .NET checked (for tests).</summary>
    public int NetVerifications { get; private set; }

    public override DtlsTransport Accept(TlsServer server, DatagramTransport transport)
    {
        peer = server as ICertificateVerifyContext;
        return base.Accept(server, transport);
    }

    protected override void ProcessCertificateVerify(ServerHandshakeState state, byte[] body, TlsHandshakeHash prepareFinishHash)
    {
        if (peer is not { Context: { } context, RequestedSignatureAlgorithms: { } requested, ClientCertificate: { IsEmpty: false } chain }
            || !TlsUtilities.IsTlsV12(context))
        {
            base.ProcessCertificateVerify(state, body, prepareFinishHash);
            return;
        }
        var input = new MemoryStream(body, false);
        var message = DigitallySigned.Parse(context, input);
        if (input.Position < input.Length) throw new TlsFatalAlert(AlertDescription.decode_error);
        var algorithm = message.Algorithm;
        if (algorithm.Signature != SignatureAlgorithm.ecdsa || NetEc.HashName(algorithm.Hash) is null)
        {
            base.ProcessCertificateVerify(state, body, prepareFinishHash);
            return;
        }
        using var key = peer.ClientKey is { } importing ? importing.GetAwaiter().GetResult() : NetEc.VerifyKey(chain.GetCertificateAt(0));
        if (key is null)
        {
            base.ProcessCertificateVerify(state, body, prepareFinishHash);
            return;
        }
        try
        {
            TlsUtilities.VerifySupportedSignatureAlgorithm(requested, algorithm);
            var hash = prepareFinishHash.GetFinalHash(algorithm.Hash);
            if (!NetEc.VerifyHash(key, hash, message.Signature)) throw new TlsFatalAlert(AlertDescription.decrypt_error);
            NetVerifications++;
        }
        catch (TlsFatalAlert) { throw; }
        catch (Exception e) { throw new TlsFatalAlert(AlertDescription.decrypt_error, e); }
    }
}
