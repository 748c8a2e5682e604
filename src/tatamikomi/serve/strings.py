"""Every label of the studio's page, in English and Japanese: ``{"key": {"en": ..., "ja": ...}}``.

Served to the page as JSON (``GET /api/strings``); the page shows ``STRINGS[key][lang]``. The
Japanese uses the lecture's terms: 入力特徴マップ, 出力特徴マップ, フィルタ, パディング,
ストライド, プーリング, 積和計算. ``{name}`` marks a value the page fills in.
"""

STRINGS = {
    "title": {"en": "tatamikomi studio", "ja": "tatamikomi スタジオ"},
    "subtitle": {
        "en": "Convolutional neural networks you can touch: every number computed by tatamikomi",
        "ja": "さわれる畳み込みニューラルネット: すべての数値は tatamikomi が計算",
    },
    "model": {"en": "Model", "ja": "モデル"},
    "open_model": {"en": "Open a model file…", "ja": "モデルファイルを開く…"},
    "language": {"en": "Language", "ja": "言語"},
    "tab_draw": {"en": "Draw a digit", "ja": "数字を描く"},
    "tab_network": {"en": "Inside the network", "ja": "ネットワークの中"},
    "tab_playground": {"en": "Lecture playground", "ja": "講義のプレイグラウンド"},
    "tab_training": {"en": "Training", "ja": "学習"},
    # drawing
    "draw_here": {"en": "Draw a digit here", "ja": "ここに数字を描いてください"},
    "draw_prompt": {
        "en": "Draw a digit: the canvas is empty",
        "ja": "数字を描いてください (キャンバスは空です)",
    },
    "clear": {"en": "Clear", "ja": "消去"},
    "undo": {"en": "Undo", "ja": "元に戻す"},
    "upload_image": {
        "en": "Or upload an image (PNG, JPEG, PGM, .npy)",
        "ja": "または画像をアップロード (PNG, JPEG, PGM, .npy)",
    },
    "seen": {
        "en": "What the network sees ({size}, centred as in MNIST)",
        "ja": "ネットワークが見る画像 ({size}, MNIST と同じく中心合わせ)",
    },
    "prediction": {"en": "Prediction", "ja": "予測"},
    "probabilities": {"en": "Probabilities (softmax)", "ja": "確率 (ソフトマックス)"},
    "label": {"en": "label", "ja": "正解"},
    "test_images": {"en": "Test images", "ja": "テスト画像"},
    "misclassified": {"en": "Misclassified test images", "ja": "誤分類されたテスト画像"},
    "test_accuracy": {"en": "test accuracy", "ja": "テスト精度"},
    "predicted_as": {"en": "predicted {p}", "ja": "予測 {p}"},
    "round_trip": {"en": "computed in {ms} ms", "ja": "計算時間 {ms} ms"},
    # inside the network
    "network_intro": {
        "en": "Every layer's output for the image, in order. Click a cell of a convolution or "
        "pooling output to see how it was computed.",
        "ja": "画像に対する各層の出力 (順番どおり)。畳み込み層やプーリング層の出力のマスを"
        "クリックすると、その計算が見られます。",
    },
    "input_image": {"en": "Input", "ja": "入力"},
    "output_shape": {"en": "output shape", "ja": "出力の形状"},
    "channels_shown": {"en": "{shown} of {total} channels", "ja": "{total} チャネル中 {shown}"},
    "show_all": {"en": "Show all {n} channels", "ja": "全 {n} チャネルを表示"},
    "feature_map": {"en": "output feature map", "ja": "出力特徴マップ"},
    "input_feature_map": {"en": "input feature map", "ja": "入力特徴マップ"},
    "channel": {"en": "channel", "ja": "チャネル"},
    "explain_title": {"en": "How this cell was computed", "ja": "このマスの計算"},
    "explain_hint": {
        "en": "Click a cell of a convolution or pooling output.",
        "ja": "畳み込み層かプーリング層の出力のマスをクリックしてください。",
    },
    "window_on_input": {
        "en": "The window on the input feature map (rows {r}, columns {c})",
        "ja": "入力特徴マップ上のウィンドウ (行 {r}, 列 {c})",
    },
    "filter": {"en": "Filter", "ja": "フィルタ"},
    "products": {"en": "Sum of products (積和計算)", "ja": "積和計算"},
    "bias": {"en": "Bias", "ja": "バイアス"},
    "value": {"en": "Value", "ja": "値"},
    "max_of_window": {"en": "The largest value of the window", "ja": "ウィンドウ内の最大値"},
    "mean_of_window": {"en": "The mean of the window", "ja": "ウィンドウ内の平均"},
    "layer_computed": {"en": "the layer computed", "ja": "層が計算した値"},
    "no_explain": {
        "en": "This layer has no windows: pick a convolution or pooling layer.",
        "ja": "この層にはウィンドウがありません: 畳み込み層かプーリング層を選んでください。",
    },
    "draw_first": {
        "en": "Draw a digit (or pick a test image) first.",
        "ja": "まず数字を描くか、テスト画像を選んでください。",
    },
    # playground
    "playground_intro": {
        "en": "The slides' 4x4 input and 3x3 filter. Edit any number; change the padding, the "
        "stride, the filter size and the bias; step or play the window.",
        "ja": "スライドの 4x4 の入力と 3x3 のフィルタ。数値は自由に書き換えられます。"
        "パディング、ストライド、フィルタサイズ、バイアスを変えて、ウィンドウを動かしてみましょう。",
    },
    "input": {"en": "Input", "ja": "入力データ"},
    "padding": {"en": "Padding", "ja": "パディング"},
    "stride": {"en": "Stride", "ja": "ストライド"},
    "filter_size": {"en": "Filter size", "ja": "フィルタサイズ"},
    "padded_input": {"en": "Padded input", "ja": "パディング後の入力"},
    "output": {"en": "Output", "ja": "出力データ"},
    "step": {"en": "Step", "ja": "1 ステップ"},
    "play": {"en": "Play", "ja": "再生"},
    "pause": {"en": "Pause", "ja": "一時停止"},
    "reset": {"en": "Reset", "ja": "リセット"},
    "output_size": {"en": "Output size", "ja": "出力サイズ"},
    "pooling": {"en": "Pooling", "ja": "プーリング"},
    "pool_window": {"en": "Window", "ja": "ウィンドウ"},
    "pool_mode": {"en": "Mode", "ja": "種類"},
    "max": {"en": "max", "ja": "Max"},
    "avg": {"en": "average", "ja": "Average"},
    "im2col": {
        "en": "im2col: each window becomes a row",
        "ja": "im2col: 各ウィンドウが 1 行になる",
    },
    "lecture_text": {"en": "As the slides write it", "ja": "スライドの書き方で"},
    "convolution": {"en": "Convolution", "ja": "畳み込み演算"},
    # training
    "training_intro": {
        "en": "Train a network here; the curves stream while it learns, and drawing keeps working.",
        "ja": "ここでネットワークを学習できます。学習中も曲線が更新され、"
        "数字の認識も続けられます。",
    },
    "dataset": {"en": "Dataset", "ja": "データセット"},
    "epochs": {"en": "Epochs", "ja": "エポック数"},
    "batch_size": {"en": "Batch size", "ja": "バッチサイズ"},
    "optimizer": {"en": "Optimizer", "ja": "最適化手法"},
    "learning_rate": {"en": "Learning rate", "ja": "学習率"},
    "seed": {"en": "Seed", "ja": "シード"},
    "spec": {"en": "JSON spec", "ja": "JSON スペック"},
    "start": {"en": "Start training", "ja": "学習を開始"},
    "resume": {"en": "Resume", "ja": "再開"},
    "stop": {"en": "Stop", "ja": "停止"},
    "loss": {"en": "Loss", "ja": "損失"},
    "accuracy": {"en": "Accuracy", "ja": "認識精度"},
    "train_acc": {"en": "train", "ja": "訓練"},
    "test_acc": {"en": "test", "ja": "テスト"},
    "first_filters": {"en": "First layer's filters ({layer})", "ja": "1 層目のフィルタ ({layer})"},
    "state_idle": {"en": "Not started", "ja": "未開始"},
    "state_loading": {"en": "Loading the data…", "ja": "データを読み込み中…"},
    "state_running": {"en": "Training", "ja": "学習中"},
    "state_paused": {"en": "Paused", "ja": "一時停止中"},
    "state_stopping": {"en": "Stopping after this step…", "ja": "このステップの後に停止…"},
    "state_finished": {"en": "Finished", "ja": "完了"},
    "state_stopped": {"en": "Stopped", "ja": "停止"},
    "state_failed": {"en": "Failed", "ja": "失敗"},
    "saved_as": {"en": "Saved as {name}", "ja": "{name} に保存しました"},
    "use_model": {"en": "Draw with it", "ja": "このモデルで描く"},
    "epoch": {"en": "epoch", "ja": "エポック"},
    "step_n": {"en": "step", "ja": "ステップ"},
    "predict_with_training": {
        "en": "Predictions can use the model being trained (pick “training” as the model).",
        "ja": "学習中のモデルでも予測できます (モデルで「training」を選択)。",
    },
    "error": {"en": "Error", "ja": "エラー"},
    "credit": {
        "en": "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0).",
        "ja": "MNIST: Yann LeCun, Corinna Cortes, Christopher J. C. Burges (CC BY-SA 3.0)。",
    },
}
