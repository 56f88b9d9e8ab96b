using System.Collections.Concurrent;
using System.Diagnostics;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>
/// After an AES-GCM handshake no DTLS thread is left: our record layer alone handles application data, alerts
/// (close_notify both ways, fatal alerts) and the peer's retransmitted last flight (RFC 6347 section 4.2.4).
/// </summary>
public class DtlsThreadlessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>An in-memory link whose two directions can be filtered (return false to drop) and watched.</summary>
    private sealed class Link : IDisposable
    {
        public readonly DtlsEndpoint Client, Server;
        public Func<byte[], bool> FromClient = _ => true, FromServer = _ => true;
        public readonly ConcurrentQueue<byte[]> SentByClient = new(), SentByServer = new();

        public Link(DtlsOptions? client = null, DtlsOptions? server = null)
        {
            var cc = DtlsCertificate.Generate();
            var sc = DtlsCertificate.Generate();
            DtlsEndpoint? c = null, s = null;
            c = new DtlsEndpoint(DtlsRole.Client, cc, d =>
            {
                var copy = d.ToArray();
                SentByClient.Enqueue(copy);
                if (FromClient(copy)) s!.ReceiveDatagram(copy);
            }, [sc.Fingerprint], client);
            s = new DtlsEndpoint(DtlsRole.Server, sc, d =>
            {
                var copy = d.ToArray();
                SentByServer.Enqueue(copy);
                if (FromServer(copy)) c!.ReceiveDatagram(copy);
            }, [cc.Fingerprint], server);
            (Client, Server) = (c, s);
        }

        public void Start() { Server.Start(); Client.Start(); }

        public void Connect()
        {
            Start();
            Assert.True(DtlsTestHelpers.WaitAll(Wait, Client.Handshake, Server.Handshake), $"client: {Client.FailureReason}, server: {Server.FailureReason}");
        }

        public void Dispose() { Client.Close(); Server.Close(); }
    }

    private static bool HasRecord(byte[] datagram, byte contentType, ushort? epoch = null)
    {
        ReadOnlySpan<byte> d = datagram;
        while (DtlsRecord.TryReadHeader(d, out var h))
        {
            if (h.ContentType == contentType && (epoch is null || h.Epoch == epoch)) return true;
            d = d[(DtlsRecord.HeaderLength + h.Length)..];
        }
        return false;
    }

    private static void AssertRoundTrip(Link link, int messages = 10)
    {
        var atServer = new BlockingCollection<byte[]>();
        var atClient = new BlockingCollection<byte[]>();
        link.Server.DataReceived += d => atServer.Add(d.ToArray());
        link.Client.DataReceived += d => atClient.Add(d.ToArray());
        for (var i = 0; i < messages; i++)
        {
            var m = Enumerable.Range(0, 50 + i * 97).Select(j => (byte)(j ^ i)).ToArray();
            Assert.True(link.Client.Send(m));
            Assert.True(atServer.TryTake(out var got, Wait), $"message {i} to the server");
            Assert.Equal(m, got);
            Assert.True(link.Server.Send(m));
            Assert.True(atClient.TryTake(out var back, Wait), $"message {i} to the client");
            Assert.Equal(m, back);
        }
    }

    [Fact]
    public void After_an_aes_gcm_handshake_no_dtls_thread_is_left_and_data_flows_both_ways()
    {
        using var link = new Link();
        link.Connect();
        Assert.True(link.Client.FastApplicationData && link.Server.FastApplicationData);
        Assert.True(SpinWait.SpinUntil(() => link.Client.ThreadEnded && link.Server.ThreadEnded, Wait), "a DTLS thread is still alive after connect");
        Assert.Equal(DtlsTransportState.Connected, link.Client.State);
        Assert.Equal(DtlsTransportState.Connected, link.Server.State);
        // What BouncyCastle computed for the epoch: 1200 - 13 (header) - 8 (explicit nonce) - 16 (tag).
        Assert.Equal(1163, link.Client.MaxApplicationDataSize);
        AssertRoundTrip(link, 20);
        Assert.True(link.Client.ThreadEnded && link.Server.ThreadEnded);
    }

    [Fact]
    public void On_BouncyCastles_record_layer_the_thread_stays_and_works_as_before()
    {
        var bc = DtlsOptions.Default with { FastApplicationData = false };
        using var link = new Link(bc, bc);
        link.Connect();
        Assert.False(link.Client.FastApplicationData);
        Thread.Sleep(200);
        Assert.False(link.Client.ThreadEnded, "BouncyCastle's record layer needs its reading thread");
        Assert.False(link.Server.ThreadEnded);
        AssertRoundTrip(link, 5);
        link.Client.Close();
        Assert.True(link.Client.ThreadEnded);
        Assert.True(SpinWait.SpinUntil(() => link.Server.State == DtlsTransportState.Closed && link.Server.ThreadEnded, Wait), $"server {link.Server.State}");
    }

    [Fact]
    public void A_lost_final_flight_is_resent_without_a_thread_when_the_client_retransmits()
    {
        // No repeats of our own: the only way the client gets the final flight is our answer to its retransmission.
        var server = DtlsOptions.Default with { InitialRetransmitTimeout = TimeSpan.Zero };
        using var link = new Link(server: server);
        var losing = true;
        var clientCut = false;
        var lost = 0;
        link.FromServer = d =>
        {
            if (!Volatile.Read(ref losing) || !HasRecord(d, DtlsContentType.ChangeCipherSpec)) return true;
            Interlocked.Increment(ref lost);
            Volatile.Write(ref clientCut, true); // and hold the client's retransmissions until the server's thread is gone
            return false;
        };
        link.FromClient = _ => !Volatile.Read(ref clientCut);
        link.Start();
        Assert.True(DtlsTestHelpers.WaitAll(Wait, link.Server.Handshake), $"server: {link.Server.FailureReason}");
        Assert.True(SpinWait.SpinUntil(() => link.Server.ThreadEnded, Wait), "server thread still alive");
        Assert.True(lost > 0);
        Assert.Equal(DtlsTransportState.Connecting, link.Client.State);
        var repeatedBefore = link.Server.Transport.Counters.Repeated;
        Assert.Equal(0, repeatedBefore);

        Volatile.Write(ref losing, false);
        Volatile.Write(ref clientCut, false);
        var clock = Stopwatch.StartNew();
        Assert.True(DtlsTestHelpers.WaitAll(Wait, link.Client.Handshake), $"client: {link.Client.FailureReason}");
        output.WriteLine($"client connected {clock.ElapsedMilliseconds} ms after the path reopened; server resent {link.Server.Transport.Counters.Repeated} datagrams");
        Assert.True(link.Server.Transport.Counters.Repeated >= 1, "the server did not resend its final flight");
        Assert.True(link.Server.ThreadEnded);
        Assert.Equal(link.Client.Result!.KeyingMaterial, link.Server.Result!.KeyingMaterial);
        AssertRoundTrip(link, 3);
    }

    [Fact]
    public void A_lost_final_flight_is_repeated_on_a_timer_while_the_client_is_cut_off()
    {
        using var link = new Link();
        var lostOnce = 0;
        var clientCut = false;
        link.FromServer = d =>
        {
            if (!HasRecord(d, DtlsContentType.ChangeCipherSpec) || Interlocked.Exchange(ref lostOnce, 1) != 0) return true;
            Volatile.Write(ref clientCut, true);
            return false;
        };
        link.FromClient = _ => !Volatile.Read(ref clientCut);
        link.Start();
        Assert.True(DtlsTestHelpers.WaitAll(Wait, link.Client.Handshake, link.Server.Handshake), $"client: {link.Client.FailureReason}, server: {link.Server.FailureReason}");
        Assert.True(SpinWait.SpinUntil(() => link.Server.ThreadEnded && link.Client.ThreadEnded, Wait));
        Assert.Equal(1, lostOnce);
        Assert.True(link.Server.Transport.Counters.Repeated >= 1);

        // Once the client speaks (application data proves it has the final flight) the repeating stops.
        Volatile.Write(ref clientCut, false);
        AssertRoundTrip(link, 1);
        var repeated = link.Server.Transport.Counters.Repeated;
        Thread.Sleep(1500);
        Assert.Equal(repeated, link.Server.Transport.Counters.Repeated);
    }

    [Fact]
    public void The_client_ignores_a_duplicate_of_the_servers_final_flight_quietly()
    {
        using var link = new Link();
        link.Connect();
        Assert.True(SpinWait.SpinUntil(() => link.Client.ThreadEnded, Wait));
        var finalFlight = link.SentByServer.Where(d => HasRecord(d, DtlsContentType.ChangeCipherSpec)).ToArray();
        Assert.NotEmpty(finalFlight);
        var sentBefore = link.SentByClient.Count;
        foreach (var d in finalFlight) link.Client.ReceiveDatagram(d);
        Thread.Sleep(300);
        Assert.Equal(sentBefore, link.SentByClient.Count);
        Assert.Equal(0, link.Client.Transport.Counters.Repeated);
        Assert.Equal(DtlsTransportState.Connected, link.Client.State);
        AssertRoundTrip(link, 2);
    }

    [Fact]
    public void The_server_resends_its_final_flight_for_each_retransmitted_client_flight_at_most_every_100_ms()
    {
        using var link = new Link(server: DtlsOptions.Default with { InitialRetransmitTimeout = TimeSpan.Zero });
        link.Connect();
        Assert.True(SpinWait.SpinUntil(() => link.Server.ThreadEnded, Wait));
        var clientFlight = link.SentByClient.Where(d => HasRecord(d, DtlsContentType.ChangeCipherSpec)).ToArray();
        Assert.NotEmpty(clientFlight);
        var sentBefore = link.SentByServer.Count;
        var before = link.Server.Transport.Counters.Repeated;
        var clock = Stopwatch.StartNew();
        link.Server.ReceiveDatagram(clientFlight[0]);
        var size = (int)(link.Server.Transport.Counters.Repeated - before);
        Assert.InRange(size, 1, 3); // ChangeCipherSpec and Finished, in one or two datagrams
        foreach (var d in clientFlight) link.Server.ReceiveDatagram(d); // within 100 ms: not again
        if (clock.ElapsedMilliseconds < 90) Assert.Equal(before + size, link.Server.Transport.Counters.Repeated);
        // Byte for byte what the server sent when its handshake finished (its last datagrams before connect).
        var resent = link.SentByServer.Skip(sentBefore).Take(size).ToArray();
        var original = link.SentByServer.Take(sentBefore).Where(d => !HasRecord(d, DtlsContentType.ApplicationData)).TakeLast(size).ToArray();
        Assert.Equal(original, resent);
        Assert.True(HasRecord(resent[0], DtlsContentType.ChangeCipherSpec, 0));
        var afterFirst = link.Server.Transport.Counters.Repeated;
        Thread.Sleep(150);
        link.Server.ReceiveDatagram(clientFlight[^1]);
        Assert.Equal(afterFirst + size, link.Server.Transport.Counters.Repeated);
        Assert.Equal(DtlsTransportState.Connected, link.Server.State);
        Assert.Equal(DtlsTransportState.Connected, link.Client.State);
        AssertRoundTrip(link, 2);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Close_notify_both_ways_without_threads(bool clientCloses)
    {
        using var link = new Link();
        link.Connect();
        Assert.True(SpinWait.SpinUntil(() => link.Client.ThreadEnded && link.Server.ThreadEnded, Wait));
        var (closer, other) = clientCloses ? (link.Client, link.Server) : (link.Server, link.Client);
        var (closerSent, otherSent) = clientCloses ? (link.SentByClient, link.SentByServer) : (link.SentByServer, link.SentByClient);
        var otherStates = new ConcurrentQueue<DtlsTransportState>();
        other.StateChanged += otherStates.Enqueue;
        var closerBefore = closerSent.Count;
        var otherBefore = otherSent.Count;

        closer.Close();
        Assert.Equal(DtlsTransportState.Closed, closer.State);
        Assert.True(SpinWait.SpinUntil(() => other.State == DtlsTransportState.Closed, Wait), $"other side {other.State}");
        Assert.Equal("closed by the peer (close_notify)", other.FailureReason);
        Assert.Equal([DtlsTransportState.Closed], otherStates.ToArray());

        // Each side sent exactly one record after: its close_notify, protected in epoch 1 (2 octets + nonce + tag).
        var closeNotify = Assert.Single(closerSent.Skip(closerBefore), d => HasRecord(d, DtlsContentType.Alert));
        var answer = Assert.Single(otherSent.Skip(otherBefore), d => HasRecord(d, DtlsContentType.Alert));
        foreach (var d in new[] { closeNotify, answer })
        {
            Assert.True(DtlsRecord.TryReadHeader(d, out var h));
            Assert.Equal(DtlsContentType.Alert, h.ContentType);
            Assert.Equal(1, h.Epoch);
            Assert.Equal(2 + DtlsRecordProtection.ExplicitNonceLength + DtlsRecordProtection.TagLength, h.Length);
            Assert.Equal(DtlsRecord.HeaderLength + h.Length, d.Length);
        }
        Assert.False(closer.Send([1]));
        Assert.False(other.Send([1]));
        Assert.True(closer.Handshake.IsCompletedSuccessfully);
    }

    [Fact]
    public void A_fatal_alert_from_the_peer_fails_the_association_and_nothing_is_sent_back()
    {
        using var link = new Link();
        link.Connect();
        Assert.True(SpinWait.SpinUntil(() => link.Server.ThreadEnded, Wait));
        var states = new ConcurrentQueue<DtlsTransportState>();
        link.Server.StateChanged += states.Enqueue;
        var serverBefore = link.SentByServer.Count;
        Assert.True(link.Client.ApplicationRecords!.SendAlert(new DtlsAlert(DtlsAlert.Fatal, 80))); // internal_error
        Assert.True(SpinWait.SpinUntil(() => link.Server.State == DtlsTransportState.Failed, Wait), $"server {link.Server.State}");
        Assert.StartsWith("peer sent fatal alert internal_error", link.Server.FailureReason);
        Assert.Equal([DtlsTransportState.Failed], states.ToArray());
        Assert.Equal(serverBefore, link.SentByServer.Count);
        Assert.False(link.Server.Send([1]));
        link.Server.Close();
        Assert.Equal(DtlsTransportState.Closed, link.Server.State);
        Assert.Equal(serverBefore, link.SentByServer.Count); // no close_notify after a fatal alert
    }

    [Fact]
    public void Warning_alerts_forged_alerts_and_unexpected_records_leave_the_association_up()
    {
        using var link = new Link();
        link.Connect();
        var dropped = link.Server.ApplicationRecords!.Counters.Dropped;
        // A warning other than close_notify (user_canceled) changes nothing (RFC 5246 section 7.2).
        Assert.True(link.Client.ApplicationRecords!.SendAlert(new DtlsAlert(DtlsAlert.Warning, 90)));
        // A close_notify with a broken tag, and an unprotected (epoch 0) fatal alert, are dropped.
        var hold = true;
        link.FromClient = _ => !Volatile.Read(ref hold);
        Assert.True(link.Client.ApplicationRecords!.SendAlert(DtlsAlert.Close));
        var forged = link.SentByClient.Last().ToArray();
        forged[^1] ^= 1;
        link.Server.ReceiveDatagram(forged);
        byte[] plainAlert = [DtlsContentType.Alert, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 99, 0, 2, DtlsAlert.Fatal, 40];
        link.Server.ReceiveDatagram(plainAlert);
        byte[] laterEpoch = [DtlsContentType.ApplicationData, 0xFE, 0xFD, 0, 2, 0, 0, 0, 0, 0, 1, 0, 1, 7];
        link.Server.ReceiveDatagram(laterEpoch);
        Volatile.Write(ref hold, false);
        Assert.Equal(DtlsTransportState.Connected, link.Server.State);
        Assert.Equal(dropped + 3, link.Server.ApplicationRecords!.Counters.Dropped);
        // The server never saw a valid close_notify: it still sends, and the client still reads.
        var atClient = new BlockingCollection<byte[]>();
        link.Client.DataReceived += d => atClient.Add(d.ToArray());
        Assert.True(link.Server.Send([4, 2]));
        Assert.True(atClient.TryTake(out var got, Wait));
        Assert.Equal([4, 2], got);
    }

    [Fact]
    public void Close_of_a_connected_threadless_endpoint_is_quick_and_idempotent()
    {
        using var link = new Link();
        link.Connect();
        Assert.True(SpinWait.SpinUntil(() => link.Client.ThreadEnded && link.Server.ThreadEnded, Wait));
        var clock = Stopwatch.StartNew();
        link.Client.Close();
        link.Client.Close();
        link.Client.Dispose();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"Close took {clock.Elapsed}");
        Assert.Single(link.SentByClient, d => HasRecord(d, DtlsContentType.Alert, 1));
        Assert.True(SpinWait.SpinUntil(() => link.Server.State == DtlsTransportState.Closed, Wait));
    }

    /// <summary>Random datagrams and mutations of real ones (each record type) never throw and never end the association.</summary>
    [Fact]
    public void Noise_and_mutated_records_after_the_handshake_are_dropped_without_harm()
    {
        using var link = new Link(server: DtlsOptions.Default with { InitialRetransmitTimeout = TimeSpan.Zero });
        link.Connect();
        var hold = true;
        link.FromClient = _ => !Volatile.Read(ref hold);
        Assert.True(link.Client.Send(new byte[100]));
        Assert.True(link.Client.ApplicationRecords!.SendAlert(DtlsAlert.Close));
        var samples = link.SentByClient.ToArray(); // the handshake flights, an application_data record, a close_notify
        var random = new Random(5);
        for (var i = 0; i < 2000; i++)
        {
            byte[] d;
            if (i % 2 == 0) { d = new byte[random.Next(0, 80)]; random.NextBytes(d); if (d.Length > 0 && i % 4 == 0) d[0] = (byte)random.Next(20, 25); }
            else
            {
                d = (byte[])samples[random.Next(samples.Length)].Clone();
                if (d.Length == 0) continue;
                var at = random.Next(DtlsRecord.HeaderLength - 2 < d.Length ? Math.Min(d.Length, DtlsRecord.HeaderLength - 2) : d.Length, d.Length);
                d[at] ^= (byte)random.Next(1, 256); // past the epoch: the tag no longer verifies
            }
            link.Server.ReceiveDatagram(d);
        }
        Assert.Equal(DtlsTransportState.Connected, link.Server.State);
        Volatile.Write(ref hold, false);
        AssertRoundTrip(link, 1);
    }

    /// <summary>The record buffer starts at the send limit and grows for a larger record (up to 2^14 octets).</summary>
    [Fact]
    public void Records_larger_than_the_send_limit_still_go_out_up_to_2_to_the_14()
    {
        using var link = new Link();
        link.Connect();
        var atServer = new BlockingCollection<byte[]>();
        link.Server.DataReceived += d => atServer.Add(d.ToArray());
        foreach (var size in new[] { 1163, 5000, 16384, 100 })
        {
            var m = Enumerable.Range(0, size).Select(i => (byte)(i * 31)).ToArray();
            Assert.True(link.Client.Send(m), $"size {size}");
            Assert.True(atServer.TryTake(out var got, Wait), $"size {size}");
            Assert.Equal(m, got);
        }
        Assert.False(link.Client.Send(new byte[16385]));
    }

    [Fact]
    public void Close_from_a_DataReceived_handler_on_the_receiving_thread_does_not_deadlock()
    {
        using var link = new Link();
        link.Connect();
        var closedInHandler = new ManualResetEventSlim();
        link.Server.DataReceived += _ => { link.Server.Close(); closedInHandler.Set(); };
        var sender = new Thread(() => link.Client.Send([1, 2, 3])) { IsBackground = true };
        sender.Start();
        Assert.True(closedInHandler.Wait(Wait));
        Assert.True(sender.Join(Wait), "the receiving (sending) thread deadlocked");
        Assert.Equal(DtlsTransportState.Closed, link.Server.State);
        Assert.True(SpinWait.SpinUntil(() => link.Client.State == DtlsTransportState.Closed, Wait), $"client {link.Client.State}");
    }
}
