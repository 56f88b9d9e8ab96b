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

    private static readonly DtlsOptions Options = DtlsOptions.Default with { MaxQueuedDatagrams = 1 << 16 };

    private static (DtlsEndpoint Client, DtlsEndpoint Server) Pair(DtlsCertificate c, DtlsCertificate s)
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
