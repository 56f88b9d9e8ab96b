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
