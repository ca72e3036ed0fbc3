"""The sections of the experiments chapter, one record per experiment: which config runs it, what it asks (in the
thesis's notation, without a number: every number comes from the results), and which of its report's tables and
figures the chapter shows. A new experiment in the chapter is one record in :data:`SECTIONS`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SECTIONS", "ChapterSection"]


@dataclass(frozen=True)
class ChapterSection:
    """``config``: the experiment's config file (its ``experiment`` key names ``results/{experiment}``);
    ``command``: what produces its results; ``question``: LaTeX; ``tables``/``figures``: report artefact names."""

    key: str
    title: str
    config: str
    command: str
    question: str
    tables: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()


SECTIONS: tuple[ChapterSection, ...] = (
    ChapterSection(
        "main", "The equal-budget comparison", "config.yaml", "make run",
        r"Does distilling with the R\'enyi divergence $D_\alpha$ of order $\alpha$ \cite{vanerven2014renyi} beat "
        r"Hinton's KL distillation ($\alpha = 1$) \cite{hinton2015distilling} and a student trained alone, when "
        r"every method gets the same tuning budget \cite{dodge2019show}? Every method trains the student on "
        r"$L = (1-\beta)\,\mathrm{CE} + \beta\, s\, D_\alpha(P_T \| Q_T)$ with the scaling $s = T^2/\alpha$; an "
        r"Optuna study of the same number of trials chooses its learning rate, weight decay, $\beta$ and the "
        r"temperature $T$ on validation data, and the chosen setting is retrained on the same seeds and measured "
        r"once on the test data. The replicates are clusters of one teacher and one tuning draw "
        r"\cite{bouthillier2021accounting}, with seeds and test images nested in them; each question is one family "
        r"of Holm's adjustment \cite{holm1979simple}, and equivalence within the margin is a TOST "
        r"\cite{schuirmann1987tost}.",
        tables=("main",), figures=("forest_vs_reference", "accuracy_vs_alpha"),
    ),
    ChapterSection(
        "order-temperature", "The order against the temperature", "configs/order-temperature.yaml",
        "make run CONFIG=configs/order-temperature.yaml",
        r"Joint tuning chose high temperatures, where every order approaches the same second-order term "
        r"($T \gg \alpha |v|$), so the equal-budget comparison mostly compares orders where they agree. Here "
        r"nothing is tuned: every order $\alpha$ runs at every temperature $T$ of a grid with the learning rate, "
        r"weight decay and $\beta$ that KL chose in the main experiment, and each order is compared with KL at the "
        r"same $T$ in one Holm family. The question: at which temperatures does the order change the test accuracy "
        r"by more than the margin?",
        figures=("grid_vs_reference",),
    ),
    ChapterSection(
        "scaling-transfer", "Do tuned hyperparameters transfer across orders?", "configs/scaling-transfer.yaml",
        "make run && make run CONFIG=configs/scaling-transfer.yaml",
        r"With SGD, tuning the learning rate, $\beta$ and the weight decay absorbs any constant factor $s$ on the "
        r"soft term, so joint tuning cannot tell scalings apart. The case for $s = T^2/\alpha$ is that the soft "
        r"term's gradient keeps its size as $\alpha$ changes, so that hyperparameters found for one order serve "
        r"another. Here every order runs at KL's tuned hyperparameters under $s = T^2/\alpha$, $s = T^2$ and "
        r"$s = 1$, and is compared with the same order tuned on its own in the main experiment (same teachers and "
        r"seeds).",
        tables=("own_tuned",), figures=("scaling_transfer", "grid_vs_reference"),
    ),
    ChapterSection(
        "dark-knowledge", "Dark knowledge of a class never shown", "configs/dark-knowledge.yaml",
        "make run CONFIG=configs/dark-knowledge.yaml",
        r"A teacher's small probabilities on wrong classes carry what distillation transfers beyond the labels "
        r"\cite{hinton2015distilling}, and the order $\alpha$ changes how much they weigh. As in Hinton et al.'s "
        r"experiment on MNIST, the transfer set here holds no image of one class, while the teacher trained on all "
        r"of them and validation and test keep them. Each student's accuracy on the test images of that class is "
        r"measured as trained and after a bias shift of the class's logits chosen on validation, never on test.",
        tables=("main",), figures=("dark_knowledge",),
    ),
    ChapterSection(
        "fashion-mnist", "Fashion-MNIST", "configs/fashion-mnist.yaml", "make run CONFIG=configs/fashion-mnist.yaml",
        r"The main experiment's question, methods and protocol on Fashion-MNIST \cite{xiao2017fashion}, whose "
        r"official test images make one image a far smaller step of accuracy than the digits' test split.",
        tables=("main",), figures=("forest_vs_reference",),
    ),
    ChapterSection(
        "cifar100", "CIFAR-100", "configs/cifar100.yaml", "make run CONFIG=configs/cifar100.yaml",
        r"The main experiment's question on CIFAR-100 with the architectures and the training recipe of the "
        r"published distillation tables \cite{tian2020crd}.",
        tables=("main",), figures=("forest_vs_reference",),
    ),
)
