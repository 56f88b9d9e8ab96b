using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.DataChannels;

public class DataChannelLossTests
{
    [Theory]
    [InlineData(71, 0.05)]
    [InlineData(72, 0.20)]
    public void SeveralChannelsUnderLossDeliverThenCloseCleanly(int seed, double loss)
    {
        var p = new DcPair(seed, new LinkProfile(loss, 0.02, 0.05, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(80)));
        var ordered = p.Create("a", new DataChannelOptions("ordered"));
        var unordered = p.Create("a", new DataChannelOptions("unordered", Ordered: false));
        p.Start();
        var fromB = p.Create("b", new DataChannelOptions("from-b"));
        Assert.True(p.RunUntil(() => p.A.Channels.Count == 3 && p.B.Channels.Count == 3 &&
            p.A.Channels.Values.Concat(p.B.Channels.Values).All(c => c.ReadyState == DataChannelReadyState.Open), TimeSpan.FromSeconds(300)));
        for (var i = 0; i < 30; i++)
        {
            p.Apply("a", new DataChannelInput.Send(p.Now, ordered, false, BitConverter.GetBytes(i).Concat(new byte[i * 300]).ToArray()));
            p.Apply("a", new DataChannelInput.Send(p.Now, unordered, false, BitConverter.GetBytes(1000 + i)));
            p.Apply("b", new DataChannelInput.Send(p.Now, fromB, true, BitConverter.GetBytes(2000 + i)));
        }
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.MessageReceived>("b").Count() == 60 && p.Of<DataChannelOutput.MessageReceived>("a").Count() == 30, TimeSpan.FromSeconds(600)));
        var bOrdered = p.B.Channels.Values.Single(c => c.Label == "ordered").Handle;
        var inOrder = p.Of<DataChannelOutput.MessageReceived>("b").Where(m => m.Handle == bOrdered).Select(m => BitConverter.ToInt32(m.Data)).ToList();
        Assert.Equal(Enumerable.Range(0, 30), inOrder);
        var bUnordered = p.B.Channels.Values.Single(c => c.Label == "unordered").Handle;
        Assert.Equal(Enumerable.Range(1000, 30), p.Of<DataChannelOutput.MessageReceived>("b").Where(m => m.Handle == bUnordered).Select(m => BitConverter.ToInt32(m.Data)).OrderBy(x => x));
        Assert.All(p.Of<DataChannelOutput.MessageReceived>("a"), m => Assert.True(m.IsString));

        foreach (var c in p.A.Channels.Values.ToList()) p.Apply("a", new DataChannelInput.Close(p.Now, c.Handle));
        Assert.True(p.RunUntil(() => p.A.Channels.IsEmpty && p.B.Channels.IsEmpty, TimeSpan.FromSeconds(600)));
        Assert.Equal(3, p.Of<DataChannelOutput.ChannelClosed>("a").Count());
        Assert.Equal(3, p.Of<DataChannelOutput.ChannelClosed>("b").Count());
        Assert.DoesNotContain(p.Events["a"].Concat(p.Events["b"]), e => e is DataChannelOutput.Error);
    }
}
