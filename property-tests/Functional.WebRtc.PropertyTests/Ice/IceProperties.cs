using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Stun;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Ice;

public static class IceArbs
{
    private static readonly IPEndPoint Local = IPEndPoint.Parse("127.0.0.11:5000");
    private static readonly IPEndPoint Remote = IPEndPoint.Parse("127.0.0.12:6000");

    /// <summary>Valid checks (right and wrong credentials, with/without USE-CANDIDATE) and their byte mutations.</summary>
    public static Arbitrary<byte[][]> Datagrams()
    {
        var check =
            from id in ArbMap.Default.GeneratorFor<ulong>()
            from user in Gen.Elements("aufrag:bufrag", "x:y", "aufrag:")
            from pwd in Gen.Elements("apassword-0123456789", "nope")
            from use in Gen.Elements(true, false)
            from controlling in Gen.Elements(true, false)
            from cls in Gen.Elements(StunClass.Request, StunClass.SuccessResponse, StunClass.ErrorResponse, StunClass.Indication)
            select new StunMessage(cls, StunMethod.Binding, new TransactionId(id, 1), LanguageExt.Seq.create<StunAttribute>(
                new StunAttribute.Username(user), new StunAttribute.Priority(12345),
                controlling ? new StunAttribute.IceControlling(id) : new StunAttribute.IceControlled(id),
                use ? new StunAttribute.UseCandidate() : new StunAttribute.Unknown(0x8111, new byte[] { 1 }),
                new StunAttribute.XorMappedAddress(Local), new StunAttribute.ErrorCode(487, "Role Conflict")))
                .Encode(System.Text.Encoding.UTF8.GetBytes(pwd), fingerprint: true);
        var mutated =
            from bytes in check
            from flips in Gen.ArrayOf(Gen.Choose(0, 500).SelectMany(p => Gen.Choose(1, 255).Select(x => (p, (byte)x))))
            select Mutate(bytes, flips);
        var random = ArbMap.Default.GeneratorFor<byte[]>();
        return Gen.ArrayOf(Gen.OneOf(check, mutated, random)).ToArbitrary();
    }

    private static byte[] Mutate(byte[] b, (int At, byte Xor)[] flips)
    {
        var copy = (byte[])b.Clone();
        foreach (var (at, x) in flips) copy[at % copy.Length] ^= x;
        return copy;
    }

    public static IPEndPoint LocalEp => Local;
    public static IPEndPoint RemoteEp => Remote;
}

public class IceProperties
{
    [Property(MaxTest = 300)]
    public bool PairPriorityIsTheSameSeenFromBothSides(uint a, uint b) =>
        IceAgent.PairPriority(true, a, b) == IceAgent.PairPriority(false, b, a);

    [Property(MaxTest = 300)]
    public bool PairPriorityOrdersByTheLowerCandidateFirst(uint a, uint b, uint c) =>
        Math.Min(a, b) >= Math.Min(a, c) || IceAgent.PairPriority(true, a, b) < IceAgent.PairPriority(true, a, c);

    [Property(MaxTest = 300)]
    public bool CandidatePriorityRanksTypeFirst(ushort pref1, ushort pref2) =>
        IceCandidate.ComputePriority(IceCandidateType.Host, pref1, 1) > IceCandidate.ComputePriority(IceCandidateType.Prflx, pref2, 1) &&
        IceCandidate.ComputePriority(IceCandidateType.Prflx, pref1, 1) > IceCandidate.ComputePriority(IceCandidateType.Srflx, pref2, 1) &&
        IceCandidate.ComputePriority(IceCandidateType.Srflx, pref1, 1) > IceCandidate.ComputePriority(IceCandidateType.Relay, pref2, 1);

    /// <summary>Any datagram sequence on any socket: the agent never throws, and every transmit goes from one of its sockets.</summary>
    [Property(MaxTest = 200, Arbitrary = new[] { typeof(IceArbs) })]
    public bool AgentSurvivesArbitraryDatagrams(byte[][] datagrams, bool controlling)
    {
        var cfg = new IceAgentConfig("aufrag", "apassword-0123456789", controlling) { Filter = new IceCandidateFilter(IncludeLoopback: true) };
        var agent = IceAgent.Create(cfg, new Entropy(7), TimeSpan.Zero);
        agent = IceAgent.Handle(agent, new IceInput.AddLocalInterface(TimeSpan.Zero, IceArbs.LocalEp)).State;
        agent = IceAgent.Handle(agent, new IceInput.SetRemoteCredentials("bufrag", "bpassword-0123456789")).State;
        var t = TimeSpan.Zero;
        foreach (var d in datagrams)
        {
            t += TimeSpan.FromMilliseconds(20);
            var step = IceAgent.Handle(agent, new IceInput.Received(t, IceArbs.LocalEp, IceArbs.RemoteEp, d));
            if (step.Outputs.OfType<IceOutput.Transmit>().Any(x => !x.From.Equals(IceArbs.LocalEp))) return false;
            agent = IceAgent.Handle(step.State, new IceInput.Tick(t)).State;
        }
        return agent.State != IceConnectionState.Closed;
    }
}
