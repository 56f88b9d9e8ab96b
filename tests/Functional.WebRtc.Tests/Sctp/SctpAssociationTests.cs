using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.Tests.Sctp;

public class SctpAssociationTests
{
    private static byte[] Message(int index, int size)
    {
        var b = new byte[size];
        for (var i = 0; i < size; i++) b[i] = (byte)(index * 31 + i * 7);
        if (size >= 4) BitConverter.TryWriteBytes(b, index);
        return b;
    }

    private static LinkProfile Profile(double loss, bool messy = true) => messy
        ? new LinkProfile(loss, Duplicate: 0.02, Reorder: 0.05, MinDelay: TimeSpan.FromMilliseconds(1), MaxDelay: TimeSpan.FromMilliseconds(200))
        : new LinkProfile(loss);

    [Fact]
    public void HandshakeEstablishesBothSides()
    {
        var p = new SctpPair(1, LinkProfile.Perfect);
        Assert.True(p.Connect());
        Assert.Equal(p.A.PeerVerificationTag, p.B.LocalVerificationTag);
        Assert.Equal(p.B.PeerVerificationTag, p.A.LocalVerificationTag);
        Assert.Contains(p.Events["a"], e => e is SctpOutput.StateChanged { State: SctpState.CookieWait });
        Assert.Contains(p.Events["a"], e => e is SctpOutput.StateChanged { State: SctpState.CookieEchoed });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void InitCollisionEstablishesOneAssociation(int seed)
    {
        var p = new SctpPair(seed, Profile(0));
        Assert.True(p.Connect(both: true));
        Assert.Equal(p.A.PeerVerificationTag, p.B.LocalVerificationTag);
        Assert.Equal(p.B.PeerVerificationTag, p.A.LocalVerificationTag);
        p.Send("a", 1, Message(1, 5000));
        p.Send("b", 2, Message(2, 3000));
        Assert.True(p.RunUntil(() => p.Delivered["a"].Count == 1 && p.Delivered["b"].Count == 1, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void HandshakeSurvivesLoss()
    {
        var p = new SctpPair(5, LinkProfile.Lossy(0.3));
        var ok = p.Connect(limit: TimeSpan.FromSeconds(300));
        Assert.True(ok, string.Join("; ", p.Events["a"].Concat(p.Events["b"])) + $" sent {p.Net.Sent} dropped {p.Net.Dropped} now {p.Now}");
    }

    [Theory]
    [InlineData(0.0, 11)]
    [InlineData(0.01, 12)]
    [InlineData(0.05, 13)]
    [InlineData(0.20, 14)]
    public void ReliableOrderedDeliversExactlyTheSentMessagesInOrder(double loss, int seed)
    {
        var p = new SctpPair(seed, Profile(loss));
        Assert.True(p.Connect(limit: TimeSpan.FromSeconds(300)));
        var rnd = new Random(seed);
        var sent = new List<byte[]>();
        var sizes = new[] { 1, 2, 100, 1171, 1172, 1173, 5000, 65536, 256 * 1024 };
        for (var i = 0; i < 60; i++)
        {
            var size = i < sizes.Length ? sizes[i] : rnd.Next(1, loss >= 0.2 ? 8000 : 40000);
            var m = Message(i, size);
            sent.Add(m);
            p.Send("a", 7, m);
        }
        Assert.True(p.RunUntil(() => p.Delivered["b"].Count >= sent.Count && p.A.Idle, TimeSpan.FromSeconds(600)),
            $"delivered {p.Delivered["b"].Count}/{sent.Count}");
        Assert.Equal(sent.Count, p.Delivered["b"].Count);
        for (var i = 0; i < sent.Count; i++) Assert.True(sent[i].AsSpan().SequenceEqual(p.Delivered["b"][i].Payload), $"message {i} differs");
        Assert.All(p.Delivered["b"], d => Assert.Equal(7, d.StreamId));
        Assert.Empty(p.Errors["a"]); Assert.Empty(p.Errors["b"]);
        Assert.True(p.MaxPacket <= 1200);
        if (loss >= 0.05) Assert.True(p.A.Stats.Retransmissions > 0 && p.A.Stats.FastRetransmits + p.A.Stats.T3Expiries > 0, p.A.Stats.ToString());
    }

    [Theory]
    [InlineData(0.0, 21)]
    [InlineData(0.05, 22)]
    [InlineData(0.20, 23)]
    public void ReliableUnorderedDeliversEachExactlyOnce(double loss, int seed)
    {
        var p = new SctpPair(seed, Profile(loss));
        Assert.True(p.Connect(limit: TimeSpan.FromSeconds(300)));
        var sent = Enumerable.Range(0, 80).Select(i => Message(i, 4 + (i * 997) % 6000)).ToList();
        foreach (var m in sent) p.Send("a", 3, m, ordered: false);
        Assert.True(p.RunUntil(() => p.Delivered["b"].Count >= sent.Count && p.A.Idle, TimeSpan.FromSeconds(600)));
        var got = p.Delivered["b"].Select(d => BitConverter.ToInt32(d.Payload)).OrderBy(x => x).ToList();
        Assert.Equal(Enumerable.Range(0, 80), got);
        foreach (var d in p.Delivered["b"]) Assert.True(sent[BitConverter.ToInt32(d.Payload)].AsSpan().SequenceEqual(d.Payload));
        Assert.All(p.Delivered["b"], d => Assert.True(d.Unordered));
    }

    [Theory]
    [InlineData(0.05, 31, true)]
    [InlineData(0.20, 32, true)]
    [InlineData(0.20, 33, false)]
    public void PartiallyReliableNeverDuplicatesOrCorruptsAndDoesNotStall(double loss, int seed, bool ordered)
    {
        var p = new SctpPair(seed, Profile(loss));
        Assert.True(p.Connect(limit: TimeSpan.FromSeconds(300)));
        var sent = new List<byte[]>();
        for (var i = 0; i < 120; i++)
        {
            var m = Message(i, 4 + (i * 1231) % 4000);
            sent.Add(m);
            SctpReliability rel = i % 2 == 0 ? new SctpReliability.MaxRetransmits(0) : new SctpReliability.MaxLifetime(TimeSpan.FromMilliseconds(300));
            p.Send("a", 5, m, ordered, rel);
            p.RunUntil(() => false, TimeSpan.FromMilliseconds(10));
        }
        // Then a reliable marker: PR-SCTP must not stall the stream behind abandoned messages.
        var marker = Message(9999, 100);
        p.Send("a", 5, marker, ordered);
        Assert.True(p.RunUntil(() => p.Delivered["b"].Any(d => d.Payload.AsSpan().SequenceEqual(marker)) && p.A.Idle, TimeSpan.FromSeconds(300)));
        var ids = p.Delivered["b"].Select(d => BitConverter.ToInt32(d.Payload)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var d in p.Delivered["b"])
        {
            var id = BitConverter.ToInt32(d.Payload);
            Assert.True((id == 9999 ? marker : sent[id]).AsSpan().SequenceEqual(d.Payload), $"message {id} corrupted");
        }
        if (ordered) Assert.Equal(ids.OrderBy(x => x), ids);
        if (loss > 0.1) Assert.True(p.A.Stats.MessagesAbandoned > 0, "with 20% loss some unreliable messages are abandoned: " + p.A.Stats);
    }

    [Fact]
    public void ShutdownClosesBothSidesAfterDeliveringEverything()
    {
        var p = new SctpPair(41, Profile(0.05));
        Assert.True(p.Connect(limit: TimeSpan.FromSeconds(300)));
        for (var i = 0; i < 20; i++) p.Send("a", 1, Message(i, 3000));
        p.Apply("a", new SctpInput.Shutdown(p.Now));
        Assert.True(p.RunUntil(() => p.A.State == SctpState.Closed && p.B.State == SctpState.Closed, TimeSpan.FromSeconds(300)));
        Assert.Equal(20, p.Delivered["b"].Count);
        Assert.Contains(p.Events["a"], e => e is SctpOutput.StateChanged { State: SctpState.ShutdownSent });
        Assert.Contains(p.Events["b"], e => e is SctpOutput.StateChanged { State: SctpState.ShutdownAckSent });
        p.Send("a", 1, Message(99, 10));
        Assert.IsType<RtcError.InvalidState>(p.Errors["a"].Last());
    }

    [Fact]
    public void AbortClosesBothSides()
    {
        var p = new SctpPair(42, LinkProfile.Perfect);
        Assert.True(p.Connect());
        p.Apply("b", new SctpInput.Abort(p.Now, "bye"));
        Assert.Equal(SctpState.Closed, p.B.State);
        Assert.True(p.RunUntil(() => p.A.State == SctpState.Closed, TimeSpan.FromSeconds(5)));
        Assert.Contains(p.Errors["a"], e => e.Message.Contains("bye"));
    }

    [Fact]
    public void TooLargeMessageIsRejectedWithRangeAndNothingIsSent()
    {
        var p = new SctpPair(43, LinkProfile.Perfect);
        Assert.True(p.Connect());
        var sentBefore = p.Net.Sent;
        p.Send("a", 1, new byte[256 * 1024 + 1]);
        Assert.IsType<RtcError.Range>(p.Errors["a"].Single());
        Assert.Equal(sentBefore, p.Net.Sent);
        Assert.Equal(0, p.A.BufferedAmount(1));
    }

    [Fact]
    public void StreamResetIsReportedToThePeerAndSsnsRestart()
    {
        var p = new SctpPair(44, Profile(0.05));
        Assert.True(p.Connect(limit: TimeSpan.FromSeconds(300)));
        p.Send("a", 4, Message(0, 2000));
        p.Send("a", 4, Message(1, 2000));
        p.Apply("a", new SctpInput.ResetStreams(p.Now, Prelude.Array<ushort>(4)));
        p.Send("a", 4, Message(2, 2000)); // sent after the reset completes, SSN 0 again
        Assert.True(p.RunUntil(() => p.Delivered["b"].Count == 3 && p.A.Idle, TimeSpan.FromSeconds(300)));
        Assert.Equal(new[] { 0, 1, 2 }, p.Delivered["b"].Select(d => BitConverter.ToInt32(d.Payload)));
        var reset = p.Events["b"].OfType<SctpOutput.StreamsReset>().Single();
        Assert.Equal(Prelude.Array<ushort>(4), reset.StreamIds);
        Assert.Single(p.Events["a"].OfType<SctpOutput.OutgoingStreamsReset>());
    }

    [Fact]
    public void BufferedAmountFallsToZeroOnceSent()
    {
        var p = new SctpPair(45, LinkProfile.Perfect);
        Assert.True(p.Connect());
        p.Send("a", 9, new byte[100_000]);
        Assert.True(p.RunUntil(() => p.A.Idle, TimeSpan.FromSeconds(30)));
        var amounts = p.Events["a"].OfType<SctpOutput.BufferedAmountChanged>().Where(b => b.StreamId == 9).Select(b => b.BufferedAmount).ToList();
        Assert.InRange(amounts.First(), 1, 100_000);
        Assert.Equal(0, amounts.Last());
        Assert.Equal(amounts.OrderByDescending(x => x), amounts);
    }

    [Fact]
    public void ReceiveWindowBackPressureWithManualConsume()
    {
        var cfg = SctpConfig.Default with { ManualConsume = true, ReceiveWindow = 64 * 1024 };
        var p = new SctpPair(46, LinkProfile.Perfect, cfg);
        Assert.True(p.Connect());
        for (var i = 0; i < 10; i++) p.Send("a", 1, Message(i, 20_000));
        p.RunUntil(() => false, TimeSpan.FromSeconds(5));
        var stalled = p.Delivered["b"].Count;
        Assert.InRange(stalled, 1, 4); // the window (64 KiB) holds at most ~3 messages
        p.Apply("b", new SctpInput.ConsumerReady(p.Now, 1_000_000));
        Assert.True(p.RunUntil(() => p.Delivered["b"].Count > stalled, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void ZeroChecksumIsUsedOnlyWhenBothOffer()
    {
        var both = new SctpPair(47, LinkProfile.Perfect, SctpConfig.Default with { ZeroChecksum = true });
        Assert.True(both.Connect());
        Assert.True(both.A.ZeroChecksumNegotiated && both.B.ZeroChecksumNegotiated);
        both.Send("a", 1, Message(0, 3000));
        Assert.True(both.RunUntil(() => both.Delivered["b"].Count == 1, TimeSpan.FromSeconds(5)));

        var one = new SctpPair(48, LinkProfile.Perfect, SctpConfig.Default with { ZeroChecksum = true }, SctpConfig.Default);
        Assert.True(one.Connect());
        Assert.False(one.A.ZeroChecksumNegotiated || one.B.ZeroChecksumNegotiated);
    }

    [Fact]
    public void PacketsNeverExceedTheMtu()
    {
        var p = new SctpPair(49, LinkProfile.Perfect);
        var sizes = new List<int>();
        Assert.True(p.Connect());
        for (var i = 0; i < 50; i++) p.Send("a", (ushort)(i % 3), Message(i, 1 + i * 211));
        Assert.True(p.RunUntil(() => p.Delivered["b"].Count == 50, TimeSpan.FromSeconds(30)));
        Assert.True(p.Net.Sent > 10);
        Assert.InRange(p.MaxPacket, 1000, 1200);
    }

    [Fact]
    public void SameSeedsGiveTheSameRun()
    {
        List<string> Run()
        {
            var p = new SctpPair(50, Profile(0.1));
            p.Connect(limit: TimeSpan.FromSeconds(300));
            for (var i = 0; i < 20; i++) p.Send("a", 1, Message(i, 2500));
            p.RunUntil(() => p.Delivered["b"].Count == 20, TimeSpan.FromSeconds(300));
            return p.Events["a"].Select(e => e.ToString()!).Append(p.Now.ToString()).Append(p.Steps.ToString()).ToList();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void StreamsAreServedRoundRobinSoABigTransferDoesNotStarveOthers()
    {
        var p = new SctpPair(51, LinkProfile.Lossy(0, 5, 5));
        Assert.True(p.Connect());
        for (var i = 0; i < 10; i++) p.Send("a", 1, Message(i, 100_000));
        p.Send("a", 2, Message(100, 10));
        Assert.True(p.RunUntil(() => p.Delivered["b"].Count == 11, TimeSpan.FromSeconds(60)));
        var order = p.Delivered["b"].Select(d => d.StreamId).ToList();
        Assert.InRange(order.IndexOf(2), 0, 2);
        Assert.Equal(Enumerable.Range(0, 10), p.Delivered["b"].Where(d => d.StreamId == 1).Select(d => BitConverter.ToInt32(d.Payload)));
    }
}
