using System.Text;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.DataChannels;

/// <summary>DataChannelInput.SendBatch: several sends handled as one (one SCTP flush), as the shell drains a burst of sends.</summary>
public class SendBatchTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static (DcPair Pair, int Handle) Open(int seed, LinkProfile? profile = null)
    {
        var p = new DcPair(seed, profile);
        var h = p.Create("a", new DataChannelOptions("bulk"));
        p.Start();
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.ChannelOpened>("b").Any() && !p.A.Channels[h].AwaitingAck, Limit));
        return (p, h);
    }

    private static byte[] Message(int i, int size) => Enumerable.Range(0, size).Select(k => (byte)(i * 7 + k)).ToArray();

    [Fact]
    public void ABatchSharesPacketsWhereSeparateSendsDoNot()
    {
        var sends = (int handle, TimeSpan at) => Enumerable.Range(0, 8).Select(i => new DataChannelInput.Send(at, handle, false, Message(i, 300))).ToList();
        var (single, hs) = Open(3);
        var separate = 0;
        foreach (var s in sends(hs, single.Now))
        {
            var step = DataChannelMachine.Handle(single.A, s);
            single.Side["a"] = step.State;
            separate += step.Outputs.Count(o => o is DataChannelOutput.Transmit);
        }
        var (batched, hb) = Open(3);
        var batch = DataChannelMachine.Handle(batched.A, new DataChannelInput.SendBatch(batched.Now, sends(hb, batched.Now)));
        var together = batch.Outputs.Count(o => o is DataChannelOutput.Transmit);
        Assert.Equal(8, separate); // one packet per message when each is flushed alone
        Assert.Equal(3, together); // three 316-byte DATA chunks per 1200-byte packet
    }

    [Fact]
    public void ABatchDeliversEveryMessageInOrderOverALossyLink()
    {
        var (p, h) = Open(4, LinkProfile.Lossy(0.1));
        var messages = Enumerable.Range(0, 40).Select(i => Message(i, i % 5 == 0 ? 0 : 100 + 97 * i)).ToList();
        p.Apply("a", new DataChannelInput.SendBatch(p.Now,
            messages.Select((m, i) => new DataChannelInput.Send(p.Now, h, i % 3 == 0, m)).ToList()));
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("b").Count() == messages.Count, Limit));
        var got = p.Of<DataChannelOutput.MessageReceived>("b").ToList();
        for (var i = 0; i < messages.Count; i++)
        {
            Assert.Equal(messages[i], got[i].Data);
            Assert.Equal(i % 3 == 0, got[i].IsString);
        }
    }

    [Fact]
    public void AnInvalidSendInABatchIsReportedAndTheOthersStillGo()
    {
        var (p, h) = Open(5);
        p.Apply("a", new DataChannelInput.SendBatch(p.Now, new List<DataChannelInput.Send>
        {
            new(p.Now, h, true, Encoding.UTF8.GetBytes("first")),
            new(p.Now, 9999, false, [1]),
            new(p.Now, h, true, Encoding.UTF8.GetBytes("second")),
        }));
        Assert.Contains(p.Of<DataChannelOutput.Error>("a"), e => e.Handle == 9999 && e.Reason is RtcError.InvalidState);
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("b").Count() == 2, Limit));
        Assert.Equal(new[] { "first", "second" }, p.Of<DataChannelOutput.MessageReceived>("b").Select(m => Encoding.UTF8.GetString(m.Data)));
    }
}
