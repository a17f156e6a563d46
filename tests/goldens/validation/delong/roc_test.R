# Reference DeLong paired tests with pROC, for tests/test_validation_reference.py.
# Usage: Rscript roc_test.R inputs.csv goldens.json
# inputs.csv: case, label (0/1), first, second (scores). Direction fixed to "<" (higher score = positive), as the Python side assumes.
suppressPackageStartupMessages({library(pROC); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1], stringsAsFactors = FALSE)
out <- list()
for (case in unique(data$case)) {
  d <- data[data$case == case, ]
  r1 <- roc(d$label, d$first, levels = c(0, 1), direction = "<", quiet = TRUE)
  r2 <- roc(d$label, d$second, levels = c(0, 1), direction = "<", quiet = TRUE)
  test <- roc.test(r1, r2, method = "delong", paired = TRUE)
  out[[case]] <- list(auc_first = as.numeric(auc(r1)), auc_second = as.numeric(auc(r2)),
                      var_first = var(r1, method = "delong"), var_second = var(r2, method = "delong"),
                      covariance = cov(r1, r2, method = "delong"), z = unname(test$statistic), p_value = test$p.value)
}
out$`_versions` <- list(R = R.version.string, pROC = as.character(packageVersion("pROC")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), args[2])
