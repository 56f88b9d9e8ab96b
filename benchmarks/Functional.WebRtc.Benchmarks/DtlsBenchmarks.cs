using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// DTLS over an in-memory pipe (no loss): the cost of a full handshake (both sides, ECDHE + ECDSA with client
/// certificates, BouncyCastle), and the record-layer cost of application data (1200-byte records, AES-128-GCM in
/// BouncyCastle's managed code), one way from client to server.
/// </summary>
[MemoryDiagnoser]
public class DtlsBenchmarks
{
    private const int Records = 1000;
    private DtlsCertificate clientCert = null!, serverCert = null!;
    private DtlsEndpoint client = null!, server = null!;
    private readonly byte[] payload = new byte[1200];
    private readonly SemaphoreSlim allReceived = new(0);
    private int received;

    /// <summary>True: application data through our AES-GCM record layer; false: BouncyCastle's (the old path).</summary>
    [Params(true, false)]
    public bool Fast { get; set; }

    private DtlsOptions Options => DtlsOptions.Default with { MaxQueuedDatagrams = 1 << 16, FastApplicationData = Fast };

    private (DtlsEndpoint Client, DtlsEndpoint Server) Pair(DtlsCertificate c, DtlsCertificate s)
    {
        DtlsEndpoint? client = null, server = null;
        client = new DtlsEndpoint(DtlsRole.Client, c, d => server!.ReceiveDatagram(d), [s.Fingerprint], Options);
        server = new DtlsEndpoint(DtlsRole.Server, s, d => client!.ReceiveDatagram(d), [c.Fingerprint], Options);
        return (client, server);
    }

    [GlobalSetup]
    public void Setup()
    {
        clientCert = DtlsCertificate.Generate();
        serverCert = DtlsCertificate.Generate();
        (client, server) = Pair(clientCert, serverCert);
        server.DataReceived += _ => { if (Interlocked.Increment(ref received) % Records == 0) allReceived.Release(); };
        server.Start();
        client.Start();
        if (!Task.WaitAll([client.Handshake, server.Handshake], TimeSpan.FromSeconds(30))) throw new TimeoutException("handshake");
        Random.Shared.NextBytes(payload);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        client.Close();
        server.Close();
    }

    /// <summary>One complete handshake between two fresh endpoints (certificates made beforehand), then close.</summary>
    [Benchmark]
    public int Handshake()
    {
        var (c, s) = Pair(clientCert, serverCert);
        s.Start();
        c.Start();
        if (!Task.WaitAll([c.Handshake, s.Handshake], TimeSpan.FromSeconds(30))) throw new TimeoutException("handshake");
        var suite = c.Result!.CipherSuite;
        c.Close();
        s.Close();
        return suite;
    }

    /// <summary>1000 application-data records of 1200 bytes, client to server, until the server has them all.</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public void SendReceive1200()
    {
        for (var i = 0; i < Records; i++)
            if (!client.Send(payload)) throw new InvalidOperationException("send refused");
        if (!allReceived.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("records lost");
    }
}

/// <summary>Our DTLS 1.2 AES-128-GCM record codec alone: seal and open one 1200-byte application_data record.</summary>
[MemoryDiagnoser]
public class DtlsRecordBenchmarks
{
    private readonly byte[] plaintext = new byte[1200];
    private readonly byte[] record = new byte[DtlsRecordProtection.RecordLength(1200)];
    private readonly byte[] sealedRecord = new byte[DtlsRecordProtection.RecordLength(1200)];
    private DtlsRecordProtection writer = null!, reader = null!;
    private ulong sequence;

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[16];
        Random.Shared.NextBytes(key);
        Random.Shared.NextBytes(plaintext);
        writer = new DtlsRecordProtection(key, [1, 2, 3, 4], 1);
        reader = new DtlsRecordProtection(key, [1, 2, 3, 4], 1);
        writer.Seal(DtlsContentType.ApplicationData, 7, plaintext, sealedRecord);
    }

    [GlobalCleanup]
    public void Cleanup() { writer.Dispose(); reader.Dispose(); }

    [Benchmark]
    public int Seal1200() => writer.Seal(DtlsContentType.ApplicationData, ++sequence, plaintext, record);

    /// <summary>Copy of the sealed record (the decryption is in place), then open; the replay window is reset each time.</summary>
    [Benchmark]
    public int Open1200()
    {
        sealedRecord.CopyTo(record, 0);
        reader.ResetReplayWindow();
        return reader.Open(record, DtlsContentType.ApplicationData, out _, out var n) == DtlsOpenStatus.Opened ? n : -1;
    }
}

/// <summary>
/// One DTLS handshake (both sides, client certificates), with the elliptic-curve math in .NET (NetCrypto true, the
/// default) or in BouncyCastle (false): through two <see cref="DtlsEndpoint"/>s (threads, queues, as in a connection),
/// and bare (BouncyCastle's protocols over an in-memory pipe, the server on a second thread).
/// </summary>
[MemoryDiagnoser]
public class DtlsHandshakeBenchmarks
{
    private DtlsCertificate clientCert = null!, serverCert = null!;

    [Params(true, false)]
    public bool NetCrypto { get; set; }

    /// <summary>With .NET math: the two chains of each flight on two threads (true) or one after the other.</summary>
    [Params(true, false)]
    public bool Overlap { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        NetEc.Enabled = NetCrypto;
        NetEc.Overlap = Overlap;
        clientCert = DtlsCertificate.Generate();
        serverCert = DtlsCertificate.Generate();
    }

    [GlobalCleanup]
    public void Cleanup() => (NetEc.Enabled, NetEc.Overlap) = (true, false);

    [Benchmark]
    public int Endpoint()
    {
        DtlsEndpoint? c = null, s = null;
        c = new DtlsEndpoint(DtlsRole.Client, clientCert, d => s!.ReceiveDatagram(d), [serverCert.Fingerprint]);
        s = new DtlsEndpoint(DtlsRole.Server, serverCert, d => c!.ReceiveDatagram(d), [clientCert.Fingerprint]);
        s.Start();
        c.Start();
        if (!Task.WaitAll([c.Handshake, s.Handshake], TimeSpan.FromSeconds(30))) throw new TimeoutException("handshake");
        var suite = c.Result!.CipherSuite;
        c.Close();
        s.Close();
        return suite;
    }

    [Benchmark]
    public int Bare()
    {
        var (clientEnd, serverEnd) = MemoryDatagrams.Pair();
        var server = new WebRtcDtlsServer(new BareSession(serverCert));
        Org.BouncyCastle.Crypto.Tls.DtlsTransport? accepted = null;
        var thread = new Thread(() => accepted = new NetDtlsServerProtocol(new Org.BouncyCastle.Security.SecureRandom()) { VerifyRequests = false }
            .Accept(server, serverEnd));
        thread.Start();
        var session = new BareSession(clientCert);
        var connected = new Org.BouncyCastle.Crypto.Tls.DtlsClientProtocol(new Org.BouncyCastle.Security.SecureRandom())
            .Connect(new WebRtcDtlsClient(session), clientEnd);
        if (!thread.Join(TimeSpan.FromSeconds(30)) || accepted is null) throw new TimeoutException("handshake");
        return session.Suite;
    }

    private sealed class BareSession(DtlsCertificate certificate) : IDtlsSession
    {
        public int Suite;
        public DtlsCertificate Certificate => certificate;
        public DtlsOptions Options => DtlsOptions.Default;
        public void VerifyPeer(Org.BouncyCastle.Crypto.Tls.Certificate? chain) { if (chain is null || chain.IsEmpty) throw new InvalidOperationException("no chain"); }
        public void HandshakeComplete(Org.BouncyCastle.Crypto.Tls.TlsContext context, DtlsSrtpProfile profile) => Suite = context.SecurityParameters.CipherSuite;
        public void AlertReceived(byte level, byte description) { }
        public void AlertRaised(byte level, byte description, string? message, Exception? cause) { }
    }

    /// <summary>An in-memory datagram pipe for BouncyCastle's protocols.</summary>
    private sealed class MemoryDatagrams : Org.BouncyCastle.Crypto.Tls.DatagramTransport
    {
        private readonly System.Collections.Concurrent.BlockingCollection<byte[]> inbox = new();
        private MemoryDatagrams? peer;

        public static (MemoryDatagrams, MemoryDatagrams) Pair()
        {
            var a = new MemoryDatagrams();
            var b = new MemoryDatagrams { peer = a };
            a.peer = b;
            return (a, b);
        }

        public int GetReceiveLimit() => 1500;
        public int GetSendLimit() => 1200;
        public int Receive(byte[] buf, int off, int len, int waitMillis)
        {
            if (!inbox.TryTake(out var d, waitMillis)) return -1;
            var n = Math.Min(len, d.Length);
            Array.Copy(d, 0, buf, off, n);
            return n;
        }
        public void Send(byte[] buf, int off, int len) => peer!.inbox.Add(buf.AsSpan(off, len).ToArray());
        public void Close() { }
    }
}
