using System.Collections;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;
using Org.BouncyCastle.Crypto.Tls;
using Org.BouncyCastle.Security;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>WebRTC requires a certificate from the DTLS client too (RFC 8827 section 6.5): an empty chain is refused.</summary>
public class EmptyClientCertificateTests
{
    /// <summary>A plain BouncyCastle client that answers the CertificateRequest with an empty chain.</summary>
    private sealed class NoCertificateClient : DefaultTlsClient
    {
        public override ProtocolVersion ClientVersion => ProtocolVersion.DTLSv12;
        public override ProtocolVersion MinimumVersion => ProtocolVersion.DTLSv12;
        public override int[] GetCipherSuites() => [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
        public override void NotifySecureRenegotiation(bool secureRenegotiation) { }
        public override IDictionary GetClientExtensions()
        {
            var e = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
            TlsSRTPUtils.AddUseSrtpExtension(e, new UseSrtpData([1], []));
            return e;
        }
        public override TlsAuthentication GetAuthentication() => new NoCredentials();
        private sealed class NoCredentials : TlsAuthentication
        {
            public void NotifyServerCertificate(Org.BouncyCastle.Crypto.Tls.Certificate serverCertificate) { }
            public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) => null!;
        }
    }

    [Fact]
    public void Our_server_fails_a_client_that_sends_no_certificate()
    {
        var serverCert = DtlsCertificate.Generate();
        QueueDatagramTransport? clientSide = null;
        using var server = new DtlsEndpoint(DtlsRole.Server, serverCert, d => clientSide!.Enqueue(d.ToArray()),
            [DtlsCertificate.Generate().Fingerprint], DtlsOptions.Default with { HandshakeTimeout = TimeSpan.FromSeconds(10) });
        clientSide = new QueueDatagramTransport(d => server.ReceiveDatagram(d), DtlsOptions.Default);
        Exception? clientError = null;
        var clientThread = new Thread(() =>
        {
            try { new DtlsClientProtocol(new SecureRandom()).Connect(new NoCertificateClient(), clientSide); }
            catch (Exception e) { clientError = e; }
        }) { IsBackground = true, Name = "test-no-cert-client" };
        server.Start();
        clientThread.Start();
        Assert.True(SpinWait.SpinUntil(() => server.State == DtlsTransportState.Failed, TimeSpan.FromSeconds(15)), $"server {server.State}");
        Assert.Contains("no certificate", server.FailureReason);
        Assert.Null(server.Result);
        // The client hears the fatal alert and gives up too.
        Assert.True(clientThread.Join(TimeSpan.FromSeconds(15)), "client still running");
        clientSide.Close();
        Assert.IsAssignableFrom<TlsException>(clientError);
    }
}
