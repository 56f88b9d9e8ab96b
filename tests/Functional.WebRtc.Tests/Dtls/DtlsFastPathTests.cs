using System.Collections.Concurrent;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>
/// Application data protected by our record layer after a BouncyCastle handshake: interop with BouncyCastle's own
/// record layer in both directions, replays, forgeries, several records per datagram, close_notify afterwards.
/// </summary>
public class DtlsFastPathTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly DtlsOptions Ours = DtlsOptions.Default;
    private static readonly DtlsOptions BouncyCastleOnly = DtlsOptions.Default with { FastApplicationData = false };

    /// <summary>An in-memory link that can hold the client's datagrams instead of delivering them.</summary>
    private sealed class Link : IDisposable
    {
        public readonly DtlsEndpoint Client, Server;
        public readonly BlockingCollection<byte[]> AtServer = [], AtClient = [];
        public volatile bool HoldFromClient;
        public readonly ConcurrentQueue<byte[]> Held = new();

        public Link(DtlsOptions client, DtlsOptions server)
        {
            var cc = DtlsCertificate.Generate();
            var sc = DtlsCertificate.Generate();
            DtlsEndpoint? c = null, s = null;
            c = new DtlsEndpoint(DtlsRole.Client, cc, d => { if (HoldFromClient) Held.Enqueue(d.ToArray()); else s!.ReceiveDatagram(d); }, [sc.Fingerprint], client);
            s = new DtlsEndpoint(DtlsRole.Server, sc, d => c!.ReceiveDatagram(d), [cc.Fingerprint], server);
            (Client, Server) = (c, s);
            Server.DataReceived += d => AtServer.Add(d.ToArray());
            Client.DataReceived += d => AtClient.Add(d.ToArray());
            Server.Start();
            Client.Start();
            Assert.True(DtlsTestHelpers.WaitAll(Wait, Client.Handshake, Server.Handshake), $"client: {Client.FailureReason}, server: {Server.FailureReason}");
        }

        public void Dispose() { Client.Close(); Server.Close(); }
    }

    private static byte[] Message(int i, int size = 1100) => Enumerable.Range(0, size).Select(j => (byte)(j * 7 + i)).ToArray();

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]   // our client, BouncyCastle's server record layer
    [InlineData(false, true)]   // BouncyCastle's client record layer, our server
    public void Application_data_interoperates_with_BouncyCastles_record_layer(bool fastClient, bool fastServer)
    {
        using var link = new Link(fastClient ? Ours : BouncyCastleOnly, fastServer ? Ours : BouncyCastleOnly);
        Assert.Equal(fastClient, link.Client.FastApplicationData);
        Assert.Equal(fastServer, link.Server.FastApplicationData);
        for (var i = 0; i < 200; i++)
        {
            var m = Message(i, 1 + i * 5);
            Assert.True(link.Client.Send(m));
            Assert.True(link.AtServer.TryTake(out var got, Wait), $"message {i} to the server");
            Assert.Equal(m, got);
            Assert.True(link.Server.Send(m));
            Assert.True(link.AtClient.TryTake(out var back, Wait), $"message {i} to the client");
            Assert.Equal(m, back);
        }
        if (fastClient) Assert.Equal((200L, 200L, 0L), link.Client.ApplicationRecords!.Counters);
        if (fastServer) Assert.Equal((200L, 200L, 0L), link.Server.ApplicationRecords!.Counters);
        // And closing still works: close_notify (BouncyCastle's, after our records in the same epoch) reaches the peer.
        link.Client.Close();
        Assert.True(SpinWait.SpinUntil(() => link.Server.State == DtlsTransportState.Closed, Wait), $"server {link.Server.State}");
        Assert.Contains("close_notify", link.Server.FailureReason);
    }

    [Fact]
    public void Replayed_and_forged_datagrams_are_dropped_and_the_association_survives()
    {
        using var link = new Link(Ours, Ours);
        link.HoldFromClient = true;
        Assert.True(link.Client.Send(Message(1)));
        link.HoldFromClient = false;
        Assert.True(link.Held.TryDequeue(out var datagram));
        link.Server.ReceiveDatagram(datagram);
        Assert.True(link.AtServer.TryTake(out var first, Wait));
        Assert.Equal(Message(1), first);
        link.Server.ReceiveDatagram(datagram); // replay
        var forged = (byte[])datagram.Clone();
        forged[^1] ^= 0x80;                    // tag
        link.Server.ReceiveDatagram(forged);
        var forgedBody = (byte[])datagram.Clone();
        forgedBody[40] ^= 0x01;                // ciphertext, with a fresh sequence number
        forgedBody[12 - 2] ^= 0x40;
        link.Server.ReceiveDatagram(forgedBody);
        Assert.False(link.AtServer.TryTake(out _, TimeSpan.FromMilliseconds(200)));
        Assert.Equal((0L, 1L, 3L), link.Server.ApplicationRecords!.Counters);
        Assert.True(link.Client.Send(Message(2)));
        Assert.True(link.AtServer.TryTake(out var second, Wait));
        Assert.Equal(Message(2), second);
        Assert.Equal(DtlsTransportState.Connected, link.Server.State);
    }

    [Fact]
    public void Several_records_in_one_datagram_are_all_delivered_in_order_and_other_records_go_to_BouncyCastle()
    {
        using var link = new Link(Ours, Ours);
        link.HoldFromClient = true;
        for (var i = 0; i < 5; i++) Assert.True(link.Client.Send(Message(i, 100 + i)));
        link.Client.Close(); // close_notify: an alert in epoch 1, which BouncyCastle must still see
        Assert.Equal(6, link.Held.Count);
        var all = link.Held.SelectMany(d => d).ToArray();
        Assert.True(DtlsRecord.TryReadHeader(link.Held.Last(), out var alert));
        Assert.Equal(DtlsContentType.Alert, alert.ContentType);
        Assert.Equal(1, alert.Epoch);
        link.Server.ReceiveDatagram(all);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(link.AtServer.TryTake(out var got, Wait), $"record {i}");
            Assert.Equal(Message(i, 100 + i), got);
        }
        Assert.True(SpinWait.SpinUntil(() => link.Server.State == DtlsTransportState.Closed, Wait), $"server {link.Server.State}");
        Assert.Contains("close_notify", link.Server.FailureReason);
    }

    [Fact]
    public void Sequence_numbers_continue_after_the_handshake_and_never_repeat_in_the_epoch()
    {
        using var link = new Link(Ours, Ours);
        link.HoldFromClient = true;
        for (var i = 0; i < 50; i++) Assert.True(link.Client.Send(Message(i, 10)));
        var seqs = link.Held.Select(d => { Assert.True(DtlsRecord.TryReadHeader(d, out var h)); Assert.Equal(1, h.Epoch); return h.SequenceNumber; }).ToArray();
        // The client's Finished was epoch 1, sequence 0 (BouncyCastle); ours follow from the same counter.
        Assert.True(seqs[0] >= 1);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => seqs[0] + (ulong)i), seqs);
    }

    [Fact]
    public void Sending_is_safe_from_several_threads_at_once()
    {
        using var link = new Link(Ours, Ours);
        const int Threads = 4, PerThread = 250;
        static byte[] Tagged(int id) { var m = Message(id, 300); BitConverter.TryWriteBytes(m, id); return m; }
        Parallel.For(0, Threads, t => { for (var i = 0; i < PerThread; i++) Assert.True(link.Client.Send(Tagged(t * 1000 + i))); });
        var got = new System.Collections.Generic.HashSet<int>();
        for (var i = 0; i < Threads * PerThread; i++)
        {
            Assert.True(link.AtServer.TryTake(out var m, Wait), $"after {i}");
            Assert.Equal(Tagged(BitConverter.ToInt32(m)), m);
            got.Add(BitConverter.ToInt32(m));
        }
        Assert.Equal(Threads * PerThread, got.Count);
        Assert.Equal((0L, (long)Threads * PerThread, 0L), link.Server.ApplicationRecords!.Counters);
    }
}
