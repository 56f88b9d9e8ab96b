using System.Collections.Concurrent;
using System.Diagnostics;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;
using LanguageExt;
using Org.BouncyCastle.Crypto.Tls;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Dtls;

public class DtlsEndpointTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public void Handshake_completes_and_both_sides_export_identical_keying_material()
    {
        using var link = new LossyLink();
        link.Start();
        Assert.True(link.WaitConnected(Wait), $"client: {link.Client.FailureReason}, server: {link.Server.FailureReason}");
        var c = link.Client.Result!;
        var s = link.Server.Result!;
        Assert.Equal(DtlsTransportState.Connected, link.Client.State);
        Assert.Equal(DtlsTransportState.Connected, link.Server.State);
        Assert.Equal(DtlsSrtpProfile.AeadAes128Gcm, c.SrtpProfile);
        Assert.Equal(56, c.KeyingMaterial.Length);
        Assert.Equal(c.KeyingMaterial, s.KeyingMaterial);
        Assert.Contains(c.KeyingMaterial, b => b != 0);
        // Each side saw the other's certificate.
        Assert.Equal(link.ServerCertificate.Der.ToArray(), c.PeerCertificate);
        Assert.Equal(link.ClientCertificate.Der.ToArray(), s.PeerCertificate);
        Assert.Equal(link.ServerCertificate.Fingerprint, c.PeerFingerprint);
        Assert.Equal(link.ClientCertificate.Fingerprint, s.PeerFingerprint);
        Assert.Equal(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, c.CipherSuite);
        Assert.Equal(c.CipherSuite, s.CipherSuite);
        Assert.True(c.ExtendedMasterSecret && s.ExtendedMasterSecret, "extended master secret was not negotiated");
        // The SRTP keys cross over: our local key is the peer's remote key.
        var ck = c.SrtpKeys().Ok();
        var sk = s.SrtpKeys().Ok();
        Assert.Equal(ck.LocalMasterKey, sk.RemoteMasterKey);
        Assert.Equal(ck.RemoteMasterSalt, sk.LocalMasterSalt);
        Assert.NotEqual(ck.LocalMasterKey, ck.RemoteMasterKey);
    }

    [Theory]
    [InlineData(DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.Aes128CmHmacSha1_80, 56)]
    [InlineData(DtlsSrtpProfile.Aes128CmHmacSha1_80, DtlsSrtpProfile.AeadAes128Gcm, 60)]
    public void Both_sides_agree_on_the_srtp_profile_for_each_preference_order(DtlsSrtpProfile first, DtlsSrtpProfile second, int length)
    {
        var options = DtlsOptions.Default with { SrtpProfiles = [first, second] };
        using var link = new LossyLink(clientOptions: options, serverOptions: options);
        link.Start();
        Assert.True(link.WaitConnected(Wait), $"client: {link.Client.FailureReason}, server: {link.Server.FailureReason}");
        Assert.Equal(first, link.Client.Result!.SrtpProfile);
        Assert.Equal(first, link.Server.Result!.SrtpProfile);
        Assert.Equal(length, link.Client.Result.KeyingMaterial.Length);
        Assert.Equal(link.Client.Result.KeyingMaterial, link.Server.Result.KeyingMaterial);
    }

    [Fact]
    public void The_server_picks_its_preferred_profile_among_those_the_client_offers()
    {
        using var link = new LossyLink(
            clientOptions: DtlsOptions.Default with { SrtpProfiles = [DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.Aes128CmHmacSha1_80] },
            serverOptions: DtlsOptions.Default with { SrtpProfiles = [DtlsSrtpProfile.Aes128CmHmacSha1_80] });
        link.Start();
        Assert.True(link.WaitConnected(Wait), $"client: {link.Client.FailureReason}, server: {link.Server.FailureReason}");
        Assert.Equal(DtlsSrtpProfile.Aes128CmHmacSha1_80, link.Client.Result!.SrtpProfile);
        Assert.Equal(60, link.Server.Result!.KeyingMaterial.Length);
    }

    [Fact]
    public void Application_data_flows_both_ways()
    {
        using var link = new LossyLink();
        var atServer = new BlockingCollection<byte[]>();
        var atClient = new BlockingCollection<byte[]>();
        link.Server.DataReceived += d => atServer.Add(d.ToArray());
        link.Client.DataReceived += d => atClient.Add(d.ToArray());
        Assert.False(link.Client.Send([1, 2, 3]), "sending before the handshake must be refused");
        link.Start();
        Assert.True(link.WaitConnected(Wait));
        Assert.True(link.Client.MaxApplicationDataSize is > 1000 and < 1200, $"send limit {link.Client.MaxApplicationDataSize}");
        for (var i = 0; i < 20; i++)
        {
            var fromClient = Enumerable.Range(0, 1000 + i).Select(j => (byte)(j + i)).ToArray();
            Assert.True(link.Client.Send(fromClient));
            Assert.True(atServer.TryTake(out var got, Wait));
            Assert.Equal(fromClient, got);
            var fromServer = new byte[] { (byte)i, 42 };
            Assert.True(link.Server.Send(fromServer));
            Assert.True(atClient.TryTake(out var back, Wait));
            Assert.Equal(fromServer, back);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_wrong_expected_fingerprint_fails_the_side_that_checks_it(bool clientChecksWrong)
    {
        var bogus = DtlsCertificate.Generate().Fingerprint;
        using var link = clientChecksWrong ? new LossyLink(clientExpects: bogus) : new LossyLink(serverExpects: bogus);
        var checker = clientChecksWrong ? link.Client : link.Server;
        var states = new ConcurrentQueue<DtlsTransportState>();
        checker.StateChanged += states.Enqueue;
        var connectedRaised = false;
        checker.Connected += _ => connectedRaised = true;
        link.Start();
        Assert.False(link.WaitConnected(TimeSpan.FromSeconds(10)));
        Assert.True(SpinWait.SpinUntil(() => checker.State == DtlsTransportState.Failed, Wait), $"state {checker.State}");
        Assert.False(connectedRaised);
        Assert.DoesNotContain(DtlsTransportState.Connected, states);
        Assert.Contains("matches no remote fingerprint", checker.FailureReason);
        Assert.Null(checker.Result);
        Assert.True(checker.Handshake.IsFaulted);
        output.WriteLine($"checker: {checker.FailureReason}; other side: {(clientChecksWrong ? link.Server : link.Client).State} {(clientChecksWrong ? link.Server : link.Client).FailureReason}");
    }

    [Fact]
    public void Fingerprints_set_after_start_release_a_waiting_check()
    {
        // The server starts without the remote fingerprints (the answer has not arrived yet).
        var clientCert = DtlsCertificate.Generate();
        var serverCert = DtlsCertificate.Generate();
        DtlsEndpoint? client = null, server = null;
        client = new DtlsEndpoint(DtlsRole.Client, clientCert, d => server!.ReceiveDatagram(d), [serverCert.Fingerprint]);
        server = new DtlsEndpoint(DtlsRole.Server, serverCert, d => client!.ReceiveDatagram(d));
        try
        {
            server.Start();
            client.Start();
            Thread.Sleep(300); // the server now holds the ClientHello's certificate check, waiting for the answer
            Assert.Equal(DtlsTransportState.Connecting, server.State);
            server.SetRemoteFingerprints([Fingerprint.Parse("sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33").Ok(), clientCert.Fingerprint]);
            Assert.True(DtlsTestHelpers.WaitAll(Wait, client.Handshake, server.Handshake), $"client {client.FailureReason}, server {server.FailureReason}");
            Assert.Equal(DtlsTransportState.Connected, server.State);
        }
        finally { client.Close(); server.Close(); }
    }

    [Fact]
    public void Close_releases_a_check_waiting_for_fingerprints_and_ends_the_thread()
    {
        var clientCert = DtlsCertificate.Generate();
        var serverCert = DtlsCertificate.Generate();
        DtlsEndpoint? client = null, server = null;
        client = new DtlsEndpoint(DtlsRole.Client, clientCert, d => server!.ReceiveDatagram(d), [serverCert.Fingerprint]);
        server = new DtlsEndpoint(DtlsRole.Server, serverCert, d => client!.ReceiveDatagram(d));
        try
        {
            server.Start();
            client.Start();
            Thread.Sleep(300); // the server is now blocked in the certificate check, waiting for SetRemoteFingerprints
            var clock = Stopwatch.StartNew();
            server.Close();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"Close took {clock.Elapsed}");
            Assert.True(server.ThreadEnded);
            Assert.Equal(DtlsTransportState.Closed, server.State);
            Assert.True(server.Handshake.IsFaulted);
        }
        finally { client.Close(); server.Close(); }
        Assert.True(client.ThreadEnded);
    }

    [Fact]
    public void Close_sends_close_notify_and_the_peer_sees_closed()
    {
        using var link = new LossyLink();
        var serverStates = new ConcurrentQueue<DtlsTransportState>();
        link.Server.StateChanged += serverStates.Enqueue;
        link.Start();
        Assert.True(link.WaitConnected(Wait));
        link.Client.Close();
        Assert.Equal(DtlsTransportState.Closed, link.Client.State);
        Assert.True(SpinWait.SpinUntil(() => link.Server.State == DtlsTransportState.Closed, Wait), $"server state {link.Server.State}");
        Assert.Equal("closed by the peer (close_notify)", link.Server.FailureReason);
        Assert.Equal([DtlsTransportState.Connecting, DtlsTransportState.Connected, DtlsTransportState.Closed], serverStates.ToArray());
        Assert.False(link.Client.Send([1]));
        Assert.False(link.Server.Send([1]));
    }

    [Fact]
    public void No_dtls_thread_survives_close()
    {
        var links = Enumerable.Range(0, 3).Select(_ => new LossyLink()).ToList();
        // One pair connected, one closed mid-handshake (the server never hears the client), one never started.
        links[0].Start();
        Assert.True(links[0].WaitConnected(Wait));
        links[1].Server.Start();
        // The connected pair (AES-GCM) needs no thread; the waiting server keeps its handshake thread.
        Assert.True(SpinWait.SpinUntil(() => links[0].Client.ThreadEnded && links[0].Server.ThreadEnded, Wait), "connected pair kept a thread");
        Assert.False(links[1].Server.ThreadEnded);
        Assert.True(DtlsEndpoint.LiveThreads >= 1);
        foreach (var l in links) l.Dispose();
        foreach (var l in links)
        {
            Assert.True(l.Client.ThreadEnded, "client thread still alive after Close");
            Assert.True(l.Server.ThreadEnded, "server thread still alive after Close");
            Assert.Equal(DtlsTransportState.Closed, l.Client.State);
            Assert.Equal(DtlsTransportState.Closed, l.Server.State);
        }
        Assert.True(links[1].Server.Handshake.IsFaulted);
    }

    [Fact]
    public void Close_from_an_event_handler_does_not_deadlock()
    {
        using var link = new LossyLink();
        link.Client.Connected += _ => link.Client.Close();
        link.Start();
        Assert.True(SpinWait.SpinUntil(() => link.Client.State == DtlsTransportState.Closed && link.Client.ThreadEnded, Wait));
        Assert.True(SpinWait.SpinUntil(() => link.Server.State == DtlsTransportState.Closed, Wait), $"server {link.Server.State}");
    }

    [Fact]
    public void A_handshake_with_no_peer_times_out_as_failed()
    {
        var cert = DtlsCertificate.Generate();
        using var lonely = new DtlsEndpoint(DtlsRole.Client, cert, _ => { }, [cert.Fingerprint],
            DtlsOptions.Default with { HandshakeTimeout = TimeSpan.FromSeconds(2) });
        var clock = Stopwatch.StartNew();
        lonely.Start();
        Assert.True(SpinWait.SpinUntil(() => lonely.State == DtlsTransportState.Failed, TimeSpan.FromSeconds(10)), $"state {lonely.State}");
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 8);
        Assert.Contains("timed out", lonely.FailureReason);
        Assert.True(SpinWait.SpinUntil(() => lonely.ThreadEnded, Wait));
    }

    [Theory]
    [InlineData(0.10, 11)]
    [InlineData(0.20, 12)]
    public void Handshakes_under_loss_complete_within_a_bound(double loss, int seed)
    {
        const int pairs = 3;
        var clock = Stopwatch.StartNew();
        var links = Enumerable.Range(0, pairs).Select(i => new LossyLink(loss, seed * 100 + i)).ToList();
        try
        {
            foreach (var l in links) l.Start();
            foreach (var l in links)
                Assert.True(l.WaitConnected(TimeSpan.FromSeconds(20) - clock.Elapsed),
                    $"loss {loss}: client {l.Client.State} {l.Client.FailureReason}, server {l.Server.State} {l.Server.FailureReason}, counts {l.Counts}");
            foreach (var l in links) Assert.Equal(l.Client.Result!.KeyingMaterial, l.Server.Result!.KeyingMaterial);
            output.WriteLine($"loss {loss}: {pairs} handshakes in {clock.Elapsed.TotalMilliseconds:0} ms");
        }
        finally { foreach (var l in links) l.Dispose(); }
    }

    [Fact]
    public void The_endpoint_refuses_an_undecided_role_and_a_second_start()
    {
        var cert = DtlsCertificate.Generate();
        Assert.Throws<ArgumentException>(() => new DtlsEndpoint(DtlsRole.Auto, cert, _ => { }));
        using var e = new DtlsEndpoint(DtlsRole.Server, cert, _ => { }, [cert.Fingerprint]);
        e.Start();
        Assert.Throws<InvalidOperationException>(e.Start);
    }
}
