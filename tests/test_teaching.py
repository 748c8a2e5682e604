"""What the demo and the explanations teach: each point shown with numbers that can be wrong."""

import numpy as np

from tatamikomi import demo
from tatamikomi import functional as F
from tatamikomi import lecture


def demo_text(lang="en"):
    return "\n".join(demo.lines(lang))


def test_the_demo_labels_padding_with_stride_and_shows_stride_shrinking():
    en, ja = demo_text("en"), demo_text("ja")
    padded = F.conv2d(lecture.INPUT[None, None], lecture.FILTER[None, None], padding=1, stride=2)
    assert padded[0, 0].tolist() == [[3, 10], [7, 10]]
    assert "Padding 1 and stride 2" in en and "     3 10\n     7 10" in en
    assert "5x5 with stride 1, 3x3 with stride 2" in en
    assert "パディング 1、ストライド 2" in ja
    assert "ストライド 1 なら 5x5、ストライド 2 なら 3x3" in ja
    # the sizes printed are the library's
    x7 = np.zeros((1, 1, 7, 7))
    assert F.conv2d(x7, lecture.FILTER[None, None], stride=2).shape[2:] == (3, 3)
    assert F.conv2d(x7, lecture.FILTER[None, None], stride=1).shape[2:] == (5, 5)
