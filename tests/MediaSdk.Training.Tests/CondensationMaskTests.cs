using static TorchSharp.torch;

namespace MediaSdk.Training.Tests;

public sealed class CondensationMaskTests
{
    [Fact]
    public void Build_N3K2Target4_EqualsMethodTable()
    {
        // METHOD.md §3, rows/columns x1 x2 x3 | b1 b2 | p t1 t2 e.
        bool[,] expected =
        {
            { true,  false, false, false, false, false, false, false, false },
            { true,  true,  false, false, false, false, false, false, false },
            { true,  true,  true,  false, false, false, false, false, false },
            { true,  true,  true,  true,  false, false, false, false, false },
            { true,  true,  true,  true,  true,  false, false, false, false },
            { false, false, false, true,  true,  true,  false, false, false },
            { false, false, false, true,  true,  true,  true,  false, false },
            { false, false, false, true,  true,  true,  true,  true,  false },
            { false, false, false, true,  true,  true,  true,  true,  true  },
        };
        using var scope = NewDisposeScope();
        AssertEqual(expected, CondensationMask.Build(3, 2, 4));
    }

    [Fact]
    public void Build_Full_TargetsAlsoSeeInputs()
    {
        using var scope = NewDisposeScope();
        Tensor full = CondensationMask.Build(3, 2, 4, TargetAttention.Full);
        Assert.True(full.eq(ones(9, 9, dtype: ScalarType.Bool).tril()).all().item<bool>());
        // The only difference from the Condensation Mask is the T x X block.
        Tensor diff = full ^ CondensationMask.Build(3, 2, 4);
        Assert.Equal(4 * 3, diff.sum().item<long>());
        Assert.True(diff.narrow(0, 5, 4).narrow(1, 0, 3).all().item<bool>());
    }

    [Fact]
    public void TargetRows_EqualsTargetRowsOfBuildWithoutInputColumns()
    {
        using var scope = NewDisposeScope();
        Tensor full = CondensationMask.Build(3, 2, 4);
        Assert.True(CondensationMask.TargetRows(2, 4).eq(full.narrow(0, 5, 4).narrow(1, 3, 6)).all().item<bool>());
    }

    [Theory]
    [InlineData(-1, 2, 4)]
    [InlineData(3, 0, 4)]
    [InlineData(3, 2, 0)]
    public void Build_InvalidSizes_Throws(int n, int k, int t) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CondensationMask.Build(n, k, t));

    private static void AssertEqual(bool[,] expected, Tensor actual)
    {
        Assert.Equal([expected.GetLength(0), expected.GetLength(1)], actual.shape);
        for (int r = 0; r < expected.GetLength(0); r++)
            for (int c = 0; c < expected.GetLength(1); c++)
                Assert.True(expected[r, c] == actual[r, c].item<bool>(), $"row {r}, column {c}: expected {expected[r, c]}");
    }
}
