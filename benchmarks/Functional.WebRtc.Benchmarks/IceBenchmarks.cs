using System.Net;
using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Stun;

namespace Functional.WebRtc.Benchmarks;

/// <summary>The agent answering a connectivity check end to end: Received(Binding request) -> Transmit(response).</summary>
[MemoryDiagnoser]
public class IceBenchmarks
{
    private static readonly IPEndPoint Local = IPEndPoint.Parse("127.0.0.11:5000");
    private static readonly IPEndPoint Remote = IPEndPoint.Parse("127.0.0.12:6000");
    private IceAgent _agent = null!;
    private byte[] _check = null!;

    [GlobalSetup]
    public void Setup()
    {
        var cfg = new IceAgentConfig("aufrag", "apassword-0123456789", false) { Filter = new IceCandidateFilter(IncludeLoopback: true) };
        var a = IceAgent.Create(cfg, new Entropy(1), TimeSpan.Zero);
        a = IceAgent.Handle(a, new IceInput.AddLocalInterface(TimeSpan.Zero, Local)).State;
        a = IceAgent.Handle(a, new IceInput.SetRemoteCredentials("bufrag", "bpassword-0123456789")).State;
        a = IceAgent.Handle(a, new IceInput.AddRemoteCandidate(new IceCandidate("1", 1, IceTransportProtocol.Udp, 2130706431, "127.0.0.12", 6000, IceCandidateType.Host))).State;
        _check = StunMessage.Create(StunClass.Request, StunMethod.Binding, new TransactionId(1, 2),
            new StunAttribute.Username("aufrag:bufrag"), new StunAttribute.Priority(1853824767),
            new StunAttribute.IceControlling(12345)).Encode(StunIntegrity.ShortTermKey("apassword-0123456789"), fingerprint: true);
        // Warm: the pair exists and is triggered once, so the measured step is the steady-state answer.
        _agent = IceAgent.Handle(a, new IceInput.Received(TimeSpan.FromMilliseconds(1), Local, Remote, _check)).State;
    }

    [Benchmark]
    public int AnswerBindingRequest()
    {
        var step = IceAgent.Handle(_agent, new IceInput.Received(TimeSpan.FromMilliseconds(2), Local, Remote, _check));
        return step.Outputs.Count;
    }
}
