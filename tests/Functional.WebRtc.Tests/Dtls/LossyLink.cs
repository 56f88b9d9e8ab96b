using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>
/// A real-threaded in-memory datagram link between two DTLS endpoints with seeded random loss per datagram.
/// (SimNetwork is simulated-time only; BouncyCastle runs on threads with real timers.)
/// </summary>
public sealed class LossyLink : IDisposable
{
    private readonly Random random;
    private readonly double loss;
    private readonly Lock gate = new();
    private long delivered, dropped;

    public DtlsEndpoint Client { get; }
    public DtlsEndpoint Server { get; }
    public DtlsCertificate ClientCertificate { get; }
    public DtlsCertificate ServerCertificate { get; }

    public LossyLink(double loss = 0, int seed = 1, DtlsOptions? clientOptions = null, DtlsOptions? serverOptions = null,
        DtlsCertificate? clientCertificate = null, DtlsCertificate? serverCertificate = null,
        Fingerprint? clientExpects = null, Fingerprint? serverExpects = null)
    {
        this.loss = loss;
        random = new Random(seed);
        ClientCertificate = clientCertificate ?? DtlsCertificate.Generate();
        ServerCertificate = serverCertificate ?? DtlsCertificate.Generate();
        DtlsEndpoint? client = null, server = null;
        client = new DtlsEndpoint(DtlsRole.Client, ClientCertificate, d => Deliver(server!, d),
            [clientExpects ?? ServerCertificate.Fingerprint], clientOptions);
        server = new DtlsEndpoint(DtlsRole.Server, ServerCertificate, d => Deliver(client!, d),
            [serverExpects ?? ClientCertificate.Fingerprint], serverOptions);
        Client = client;
        Server = server;
    }

    public (long Delivered, long Dropped) Counts { get { lock (gate) return (delivered, dropped); } }

    private void Deliver(DtlsEndpoint to, ReadOnlySpan<byte> datagram)
    {
        lock (gate)
        {
            if (loss > 0 && random.NextDouble() < loss) { dropped++; return; }
            delivered++;
        }
        to.ReceiveDatagram(datagram);
    }

    public void Start()
    {
        Server.Start();
        Client.Start();
    }

    /// <summary>Waits for both handshakes; false on timeout or failure.</summary>
    public bool WaitConnected(TimeSpan timeout)
    {
        try { return Task.WaitAll([Client.Handshake, Server.Handshake], timeout); }
        catch (AggregateException) { return false; }
    }

    public void Dispose()
    {
        Client.Close();
        Server.Close();
    }
}
